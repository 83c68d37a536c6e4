{
  "targets": [
    {
      "target_name": "engine_spawn",
      "sources": ["native/posix_spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]
    }
  ]
}
