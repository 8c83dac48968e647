// The executors of the backends built into this library; make_executor picks one.
#pragma once

#include <memory>

#include "joblet/detail/executor.hpp"

namespace joblet::detail {

[[nodiscard]] std::unique_ptr<Executor> make_sequential_executor(const RunSettings& settings);
[[nodiscard]] std::unique_ptr<Executor> make_threads_executor(const RunSettings& settings);
[[nodiscard]] std::unique_ptr<Executor> make_processes_executor(const RunSettings& settings);
/// std::invalid_argument in a build without MPI support.
[[nodiscard]] std::unique_ptr<Executor> make_mpi_executor(const RunSettings& settings);

}  // namespace joblet::detail
