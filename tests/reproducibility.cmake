# Bit-for-bit equal results on every backend, for a seeded Monte Carlo sweep and for the
# orbit_grid example's fit, whose sources the test links.
set(orbit_grid_dir ${PROJECT_SOURCE_DIR}/examples/orbit_grid)
target_sources(joblet_tests PRIVATE
  reproducibility_test.cpp
  ${orbit_grid_dir}/fit.cpp
  ${orbit_grid_dir}/observations.cpp
  ${orbit_grid_dir}/sweep.cpp)
target_include_directories(joblet_tests PRIVATE ${orbit_grid_dir})
