#include "joblet/detail/type_name.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>  // program_invocation_name
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace joblet::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  const std::unique_ptr<char, decltype(&std::free)> readable(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(mangled);
}

CurrentException describe_current_exception() {
  CurrentException current{"an exception of unknown type", {}};
  if (const std::type_info* thrown = abi::__cxa_current_exception_type()) {
    current.type = demangle(thrown->name());
  }
  try {
    throw;
  } catch (const std::exception& error) {
    current.message = error.what();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a non-std exception has no message
  }
  return current;
}

namespace {

/// The functions of one ELF file's full symbol table (.symtab), by address within the file.
/// The dynamic linker only knows exported symbols; this also finds static functions and
/// functions in anonymous namespaces, as long as the file is not stripped.
using FunctionSymbols = std::map<std::uint64_t, std::string>;

class File {
 public:
  explicit File(const char* path) : fd_(::open(path, O_RDONLY | O_CLOEXEC)) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  File(File&&) = delete;
  File& operator=(File&&) = delete;
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }

  [[nodiscard]] bool is_open() const { return fd_ >= 0; }

  template <class T>
  bool read(std::uint64_t offset, T* into, std::size_t count = 1) const {
    const auto bytes = static_cast<ssize_t>(sizeof(T) * count);
    return ::pread(fd_, into, static_cast<std::size_t>(bytes), static_cast<off_t>(offset)) == bytes;
  }

 private:
  int fd_;
};

FunctionSymbols read_function_symbols(const char* path, bool& position_independent) {
  FunctionSymbols functions;
  const File file(path);
  Elf64_Ehdr header{};
  if (!file.is_open() || !file.read(0, &header) || header.e_ident[EI_CLASS] != ELFCLASS64 ||
      header.e_shentsize != sizeof(Elf64_Shdr)) {
    return functions;
  }
  position_independent = header.e_type == ET_DYN;
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  if (!file.read(header.e_shoff, sections.data(), sections.size())) return functions;
  for (const auto& section : sections) {
    if (section.sh_type != SHT_SYMTAB || section.sh_link >= sections.size()) continue;
    const auto& names = sections[section.sh_link];
    std::vector<Elf64_Sym> symbols(section.sh_size / sizeof(Elf64_Sym));
    std::string text(names.sh_size, '\0');
    if (!file.read(section.sh_offset, symbols.data(), symbols.size()) ||
        !file.read(names.sh_offset, text.data(), text.size())) {
      continue;
    }
    for (const auto& symbol : symbols) {
      if (ELF64_ST_TYPE(symbol.st_info) == STT_FUNC && symbol.st_value != 0 &&
          symbol.st_name < text.size()) {
        functions.emplace(symbol.st_value, text.c_str() + symbol.st_name);
      }
    }
  }
  return functions;
}

std::string name_from_symbol_table(const Dl_info& module, const void* address) {
  struct Module {
    FunctionSymbols functions;
    bool position_independent = false;
  };
  static std::mutex mutex;
  static std::map<std::string, Module> modules;

  // glibc names the main program by its argv[0], which may be relative or gone from PATH.
  const bool is_main_program = module.dli_fname == nullptr || *module.dli_fname == '\0' ||
                               std::string_view(module.dli_fname) == program_invocation_name;
  const std::string path = is_main_program ? "/proc/self/exe" : module.dli_fname;
  const std::lock_guard lock(mutex);
  auto [entry, inserted] = modules.try_emplace(path);
  if (inserted) {
    entry->second.functions =
        read_function_symbols(path.c_str(), entry->second.position_independent);
  }
  const auto value =
      std::bit_cast<std::uintptr_t>(address) -
      (entry->second.position_independent ? std::bit_cast<std::uintptr_t>(module.dli_fbase) : 0);
  const auto found = entry->second.functions.find(value);
  return found == entry->second.functions.end() ? std::string() : found->second;
}

}  // namespace

std::string function_name(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0) return {};
  std::string mangled = info.dli_sname != nullptr && info.dli_saddr == address
                            ? std::string(info.dli_sname)
                            : name_from_symbol_table(info, address);
  if (mangled.empty()) return {};
  std::string name = demangle(mangled.c_str());
  // "orbit::chi2(double, double)" reads as "orbit::chi2" in a call with its arguments; the
  // parameter list is the parenthesis that closes the name ("(anonymous namespace)" is not).
  if (!name.empty() && name.back() == ')') {
    int depth = 0;
    for (std::size_t i = name.size(); i-- > 0;) {
      if (name[i] == ')') ++depth;
      if (name[i] == '(' && --depth == 0) {
        name.resize(i);
        break;
      }
    }
  }
  return name;
}

}  // namespace joblet::detail
