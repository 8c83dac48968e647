#include "fd_passing.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace joblet::detail {
namespace {

using Control = std::array<char, CMSG_SPACE(kMaxPassedFds * sizeof(int))>;

}  // namespace

bool send_with_fds(int socket, std::span<const std::byte> bytes, std::span<const int> fds) {
  alignas(cmsghdr) Control control{};
  msghdr message{};
  if (!fds.empty()) {
    message.msg_control = control.data();
    message.msg_controllen = CMSG_SPACE(fds.size_bytes());
    cmsghdr* passed = CMSG_FIRSTHDR(&message);
    passed->cmsg_level = SOL_SOCKET;
    passed->cmsg_type = SCM_RIGHTS;
    passed->cmsg_len = CMSG_LEN(fds.size_bytes());
    std::memcpy(CMSG_DATA(passed), fds.data(), fds.size_bytes());
  }
  while (!bytes.empty()) {
    iovec piece{const_cast<std::byte*>(bytes.data()), bytes.size()};  // NOLINT: sendmsg's type
    message.msg_iov = &piece;
    message.msg_iovlen = 1;
    const ssize_t sent = sendmsg(socket, &message, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd writable{socket, POLLOUT, 0};
      if (poll(&writable, 1, -1) < 0 && errno != EINTR) return false;
      continue;
    }
    if (sent <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(sent));
    message.msg_control = nullptr;  // the descriptors went with the first bytes
    message.msg_controllen = 0;
  }
  return true;
}

ssize_t receive_with_fds(int socket, std::span<std::byte> space, std::vector<int>& fds) {
  alignas(cmsghdr) Control control{};
  iovec piece{space.data(), space.size()};
  msghdr message{};
  message.msg_iov = &piece;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t got = 0;
  do {
    got = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return got;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    for (std::size_t at = 0; at + sizeof(int) <= c->cmsg_len - CMSG_LEN(0); at += sizeof(int)) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + at, sizeof(fd));
      fds.push_back(fd);
    }
  }
  return got;
}

}  // namespace joblet::detail
