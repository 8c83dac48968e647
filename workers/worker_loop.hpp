// The worker side: the loop a forked worker process runs until its parent goes away.
#pragma once

#include "../src/processes/worker_slots.hpp"

namespace joblet::detail {

/// Reads batches from `socket`, runs them, writes their results back, and exits the process
/// when the socket closes. `slot` says, at every moment, which task is running.
[[noreturn]] void run_worker(int socket, WorkerSlot& slot);

}  // namespace joblet::detail
