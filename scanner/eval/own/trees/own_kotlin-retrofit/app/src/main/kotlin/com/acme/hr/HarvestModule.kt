package com.acme.hr

import okhttp3.Credentials
import okhttp3.OkHttpClient
import retrofit2.Retrofit

object HarvestModule {
    private const val GREENHOUSE_BASE = "https://harvest.greenhouse.io/v1/"

    fun service(apiKey: String): HarvestService {
        val http = OkHttpClient.Builder()
            .addInterceptor { chain ->
                val req = chain.request().newBuilder()
                    .header("Authorization", Credentials.basic(apiKey, ""))
                    .build()
                chain.proceed(req)
            }
            .build()
        return Retrofit.Builder()
            .baseUrl(GREENHOUSE_BASE)
            .client(http)
            .build()
            .create(HarvestService::class.java)
    }
}
