# Tests of joblet::kernels: spans, N-d views, the thread budget and the vector math.
target_sources(joblet_tests PRIVATE
  kernel_budget_test.cpp
  kernel_views_test.cpp
  kernels_test.cpp
  vector_math_test.cpp
)
