{
  "targets": [
    {
      "target_name": "blas_threads",
      "sources": ["blas_threads.c"],
      "libraries": ["-lopenblas"]
    }
  ]
}
