# Tests of Backend::mpi. Without mpirun: Backend::mpi is refused, and the check that every rank
# runs the same executable is tested on made-up ranks. With MPI support built, the rest runs
# under mpirun with 3 ranks (rank 0 and two workers), oversubscribed on small machines.
target_sources(joblet_tests PRIVATE binary_identity_test.cpp mpi_refused_test.cpp)
target_compile_definitions(joblet_tests PRIVATE $<$<BOOL:${JOBLET_MPI}>:JOBLET_TEST_MPI_BUILT>)

if(JOBLET_MPI_TESTS)
  # A rank that deadlocks fails its test at this limit instead of hanging the suite.
  set(mpi_timeout 120)

  # It links the orbit_grid example's fit, as reproducibility_test does.
  set(orbit_grid_dir ${PROJECT_SOURCE_DIR}/examples/orbit_grid)
  add_executable(joblet_mpi_tests mpi/main.cpp mpi/mpi_backend_test.cpp ${orbit_grid_dir}/fit.cpp
                 ${orbit_grid_dir}/observations.cpp ${orbit_grid_dir}/sweep.cpp)
  target_include_directories(joblet_mpi_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                             ${PROJECT_SOURCE_DIR}/src ${orbit_grid_dir})
  target_link_libraries(joblet_mpi_tests PRIVATE joblet::joblet GTest::gtest MPI::MPI_CXX)
  joblet_set_warnings(joblet_mpi_tests)
  joblet_set_test_sanitizers(joblet_mpi_tests)
  add_test(NAME mpi.backend COMMAND ${JOBLET_MPIRUN} $<TARGET_FILE:joblet_mpi_tests>)
  set_tests_properties(mpi.backend PROPERTIES TIMEOUT ${mpi_timeout}
                       ENVIRONMENT "${JOBLET_MPI_ENVIRONMENT}" FAIL_REGULAR_EXPRESSION "\\[  FAILED  \\]")

  foreach(program mpi_rank_zero_throws mpi_task_crashes)
    add_executable(${program} helpers/${program}.cpp)
    target_link_libraries(${program} PRIVATE joblet::joblet)
    joblet_set_warnings(${program})
  endforeach()
  foreach(twin a b)
    add_executable(mpi_twin_${twin} helpers/mpi_twin.cpp)
    target_compile_definitions(mpi_twin_${twin} PRIVATE JOBLET_TWIN="${twin}")
    target_link_libraries(mpi_twin_${twin} PRIVATE joblet::joblet)
    joblet_set_warnings(mpi_twin_${twin})
  endforeach()

  set(expect_job_failure ${CMAKE_CURRENT_SOURCE_DIR}/mpi/expect_job_failure.cmake)
  add_test(NAME mpi.rank_zero_exception_aborts_the_job
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${JOBLET_MPIRUN};$<TARGET_FILE:mpi_rank_zero_throws>"
                   "-DOUTPUTS=rank 0 on [^ ]+ ends: uncaught exception std::runtime_error: rank zero gives up; aborting the MPI job"
                   -P ${expect_job_failure})
  add_test(NAME mpi.dead_rank_names_its_task
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${JOBLET_MPIRUN};$<TARGET_FILE:mpi_task_crashes>"
                   "-DOUTPUTS=rank [12] on [^ ]+ died of signal 11 while running task 5"
                   -P ${expect_job_failure})
  # MPMD: rank 0 runs one executable, ranks 1 and 2 the other.
  add_test(NAME mpi.different_executables_are_refused
           COMMAND ${CMAKE_COMMAND}
                   "-DCOMMAND=${JOBLET_MPI_LAUNCHER};${MPIEXEC_NUMPROC_FLAG};1;$<TARGET_FILE:mpi_twin_a>;:;${MPIEXEC_NUMPROC_FLAG};2;$<TARGET_FILE:mpi_twin_b>"
                   "-DOUTPUTS=must run the same executable.*rank 0 on [^ ]+ runs build-id [0-9a-f]+, but ranks 1 on [^ ]+, 2 on [^ ]+ run build-id"
                   -P ${expect_job_failure})
  set_tests_properties(mpi.rank_zero_exception_aborts_the_job mpi.dead_rank_names_its_task
                       mpi.different_executables_are_refused
                       PROPERTIES TIMEOUT ${mpi_timeout} ENVIRONMENT "${JOBLET_MPI_ENVIRONMENT}")
endif()
