package com.acme.hr

import retrofit2.Call
import retrofit2.Retrofit
import retrofit2.http.GET
import retrofit2.http.Path

// Careers page: public Greenhouse job board.
interface BoardService {
    @GET("jobs")
    fun jobs(): Call<JobList>

    @GET("jobs/{id}")
    fun job(@Path("id") id: Long): Call<Job>

    @GET("departments")
    fun departments(): Call<DepartmentList>
}

fun boardService(token: String): BoardService = Retrofit.Builder()
    .baseUrl("https://boards-api.greenhouse.io/v1/boards/$token/")
    .build()
    .create(BoardService::class.java)
