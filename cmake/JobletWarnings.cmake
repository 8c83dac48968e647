# Warnings and sanitizers for joblet's own targets (never forced on projects that use joblet).
function(joblet_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         $<$<BOOL:${JOBLET_WERROR}>:-Werror>)
  # GCC's own documentation: sanitizer instrumentation makes -Wmaybe-uninitialized report
  # false positives. The uninstrumented build keeps the warning.
  if(JOBLET_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(JOBLET_SANITIZE)
  list(JOIN JOBLET_SANITIZE "," joblet_sanitizers)
  add_compile_options(-fsanitize=${joblet_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${joblet_sanitizers})
  # A position-independent test program relocates millions of pointers in the sanitizer's
  # metadata at every start (0.6 s of each of hundreds of test processes under ASan); a
  # position-dependent one has them resolved at link time (0.35 s).
  add_link_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-no-pie>)
endif()
