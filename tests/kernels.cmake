# Tests of joblet::kernels: spans, N-d views, and the thread budget.
target_sources(joblet_tests PRIVATE
  kernel_budget_test.cpp
  kernel_views_test.cpp
  kernels_test.cpp
)
