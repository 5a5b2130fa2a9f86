package com.acme.hr

import retrofit2.Call
import retrofit2.http.Body
import retrofit2.http.GET
import retrofit2.http.Header
import retrofit2.http.PATCH
import retrofit2.http.POST
import retrofit2.http.Path
import retrofit2.http.Query

interface HarvestService {
    @GET("candidates")
    fun candidates(@Query("page") page: Int, @Query("per_page") perPage: Int = 100): Call<List<Candidate>>

    @GET("candidates/{id}")
    fun candidate(@Path("id") id: Long): Call<Candidate>

    @PATCH("applications/{id}")
    fun updateApplication(
        @Path("id") id: Long,
        @Header("On-Behalf-Of") actingUser: Long,
        @Body body: Map<String, Any>,
    ): Call<Application>

    @POST("candidates/{id}/attachments")
    fun attach(@Path("id") id: Long, @Header("On-Behalf-Of") actingUser: Long, @Body a: Attachment): Call<Unit>

    @GET("users")
    fun users(@Query("page") page: Int): Call<List<User>>
}
