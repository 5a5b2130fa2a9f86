plugins { kotlin("jvm") version "1.9.22" }
dependencies { implementation("com.squareup.retrofit2:retrofit:2.9.0") }
