// Bytes with file descriptors attached (SCM_RIGHTS) over a local socket: how the parent hands
// the fork server a new worker's socket, and a worker its shared memory regions.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <vector>

namespace joblet::detail {

/// The most descriptors one message carries.
inline constexpr std::size_t kMaxPassedFds = 2;

/// Writes all of `bytes` to `socket`, `fds` (at most kMaxPassedFds) attached to the first
/// byte, waiting while a non-blocking socket is full; false if the other end is gone.
bool send_with_fds(int socket, std::span<const std::byte> bytes, std::span<const int> fds);

/// Reads what `socket` has, up to `space`, and appends to `fds` the descriptors that came with
/// it, close-on-exec. recvmsg's result: the bytes read, 0 at the end, -1 with errno.
ssize_t receive_with_fds(int socket, std::span<std::byte> space, std::vector<int>& fds);

}  // namespace joblet::detail
