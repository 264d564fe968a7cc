// CryptHandle: libcryptsetup contexts with their messages routed to cvfs::log.
#include "luks/crypt_handle.h"

#include "base/log.h"

#include <libcryptsetup.h>

#include <mutex>

namespace cvfs {

namespace {

std::recursive_mutex& library_mutex() {
    static std::recursive_mutex mutex;
    return mutex;
}

}  // namespace

CryptLock::CryptLock() : lock_(library_mutex()) {}

struct CryptHandle::State {
    crypt_device* cd = nullptr;
    std::string errors;
    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    // Also on a move-assignment over a live handle, not only in ~CryptHandle.
    ~State() {
        if (!cd) return;
        CryptLock lock;
        crypt_free(cd);
    }
};

namespace {

void forward_line(int level, const char* message) {
    std::string line = message ? message : "";
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (!line.empty() && level != CRYPT_LOG_DEBUG) log(LogLevel::Debug, "libcryptsetup: " + line);
}

// Lines of contexts that have no callback of their own yet (crypt_init).
void global_log(int level, const char* message, void*) { forward_line(level, message); }

void handle_log(int level, const char* message, void* usrptr) {
    forward_line(level, message);
    if (level != CRYPT_LOG_ERROR || !message) return;
    auto& errors = *static_cast<std::string*>(usrptr);
    std::string line = message;
    while (!line.empty() && line.back() == '\n') line.pop_back();
    if (!errors.empty()) errors += "; ";
    errors += line;
}

void install_global_log() {
    CryptLock lock;
    static std::once_flag once;
    std::call_once(once, [] { crypt_set_log_callback(nullptr, global_log, nullptr); });
}

}  // namespace

CryptHandle::CryptHandle(std::unique_ptr<State> state) : state_(std::move(state)) {}
CryptHandle::CryptHandle(CryptHandle&&) noexcept = default;
CryptHandle& CryptHandle::operator=(CryptHandle&&) noexcept = default;

CryptHandle CryptHandle::adopt(crypt_device* cd) {
    CryptLock lock;
    auto state = std::make_unique<State>();
    state->cd = cd;
    crypt_set_log_callback(cd, handle_log, &state->errors);
    return CryptHandle(std::move(state));
}

CryptHandle::~CryptHandle() = default;

CryptHandle CryptHandle::open(const std::string& device) {
    CryptLock lock;
    install_global_log();
    crypt_device* cd = nullptr;
    int rc = crypt_init(&cd, device.c_str());
    if (rc < 0)
        throw Error(ErrorKind::Device, "cannot open " + device + ": " + errno_text(-rc),
                    "check that the device exists and is readable");
    return adopt(cd);
}

CryptHandle CryptHandle::open_detached(const std::string& header, const std::string& data) {
    CryptLock lock;
    install_global_log();
    crypt_device* cd = nullptr;
    int rc = crypt_init_data_device(&cd, header.c_str(), data.c_str());
    if (rc < 0)
        throw Error(ErrorKind::Device, "cannot open " + data + " with its header copy: " + errno_text(-rc));
    return adopt(cd);
}

CryptHandle CryptHandle::by_name(const std::string& name) {
    CryptLock lock;
    install_global_log();
    crypt_device* cd = nullptr;
    int rc = crypt_init_by_name(&cd, name.c_str());
    if (rc < 0)
        throw Error(ErrorKind::Device, "cannot open the mapping " + name + ": " + errno_text(-rc));
    return adopt(cd);
}

crypt_device* CryptHandle::get() const { return state_->cd; }

void CryptHandle::load_luks2(const std::string& device) const {
    CryptLock lock;
    check(crypt_load(get(), CRYPT_LUKS2, nullptr), ErrorKind::Header,
          device + " has no valid LUKS2 header",
          "the device is not a LUKS2 volume, or its header is damaged or was tampered with");
}

int CryptHandle::check(int rc, ErrorKind kind, const std::string& what, const std::string& hint) const {
    if (rc >= 0) return rc;
    std::string reason = take_errors();
    if (reason.empty()) reason = errno_text(-rc);
    throw Error(kind, what + ": " + reason, hint);
}

std::string CryptHandle::take_errors() const {
    CryptLock lock;  // the log callback appends to it under the lock
    std::string errors;
    errors.swap(state_->errors);
    return errors;
}

}  // namespace cvfs
