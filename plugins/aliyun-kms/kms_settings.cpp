// Reading [encrypt.kms], see kms_settings.h.
#include "kms_settings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cvfs/text.hpp"
#include "cvfs/unique_fd.hpp"
#include "flat_json.h"

namespace cvfs::kms {
namespace {

using sdk::Config;
using sdk::Error;
using sdk::UniqueFd;

constexpr size_t kMaxSecretFile = 64 * 1024;

using sdk::octal_mode;

std::string where(const Config& config, const char* key) {
    const auto* item = config.find(key);
    return item ? config.where(*item) : std::string(config.source()) + ": ";
}

// Exactly one of `inline_key` or `file_key`; returns the file path or "".
std::string one_of(const Config& config, const char* inline_key, const char* file_key) {
    bool has_inline = config.find(inline_key) != nullptr;
    auto file = config.string(file_key);
    if (has_inline == file.has_value())
        throw Error(CVFS_E_INVALID_CONFIG, std::string(config.source()) + ": [" + config.table() +
                                               "] needs exactly one of " + inline_key + " or " +
                                               file_key + (has_inline ? ", not both" : ""));
    if (has_inline) {
        config.string(inline_key);  // type check
        return "";
    }
    if (file->empty() || file->front() != '/')
        throw Error(CVFS_E_INVALID_CONFIG, where(config, file_key) + file_key +
                                               " must be an absolute path, got '" + *file + "'");
    return *file;
}

// The volume file may hold secrets only when nobody else can read it.
void check_inline_secrets_allowed(const Config& config, const char* key) {
    struct stat st {};
    std::string source = config.source();
    if (stat(source.c_str(), &st) != 0)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    where(config, key) + key + " is inline, but the mode of " + source +
                        " cannot be checked (" + std::strerror(errno) + "); use " + key + "_file");
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077) != 0)
        throw Error(CVFS_E_PERMISSION_DENIED,
                    where(config, key) + key + " is a secret, but " + source + " is owned by uid " +
                        std::to_string(st.st_uid) + " with mode " + octal_mode(st.st_mode) +
                        ": run `chown root " + source + " && chmod 600 " + source +
                        "`, or move the secret to " + key + "_file");
}

void check_instance_id(const Config& config, const std::string& id) {
    bool ok = !id.empty() && id.size() <= 63 && id.front() != '-' && id.back() != '-';
    for (char c : id)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-');
    if (!ok)
        throw Error(CVFS_E_INVALID_CONFIG, where(config, "kms_instance_id") +
                                               "kms_instance_id must look like kst-xxxxxxxx "
                                               "(letters, digits, '-'), got '" +
                                               id + "'");
}

void read_endpoint_address(const Config& config, Settings& s) {
    auto address = config.string("endpoint_address");
    if (!address) return;
    std::string text = *address, host = text, port = "443";
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos)
            host.clear();
        else {
            host = text.substr(1, close - 1);
            if (close + 1 < text.size())
                port = text[close + 1] == ':' ? text.substr(close + 2) : "";
        }
    } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    bool port_ok = !port.empty() && port.size() <= 5 &&
                   port.find_first_not_of("0123456789") == std::string::npos &&
                   std::stoi(port) > 0 && std::stoi(port) < 65536;
    if (host.empty() || !port_ok)
        throw Error(CVFS_E_INVALID_CONFIG,
                    where(config, "endpoint_address") +
                        "endpoint_address must be HOST, HOST:PORT or [IPv6]:PORT, got '" + text +
                        "'");
    s.connect_host = host;
    s.port = port;
}

// Reads a root-only secret file (0600 or 0400) into locked memory.
SecretText read_secret_file(const Config& config, const char* key, const std::string& path) {
    std::string at = where(config, key);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid())
        throw Error(errno == ENOENT ? CVFS_E_NOT_FOUND : CVFS_E_PERMISSION_DENIED,
                    at + "cannot open " + key + " " + path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        throw Error(CVFS_E_PERMISSION_DENIED, at + key + " " + path + " is not a regular file");
    mode_t mode = st.st_mode & 07777;
    if ((st.st_uid != 0 && st.st_uid != geteuid()) || (mode != 0600 && mode != 0400))
        throw Error(CVFS_E_PERMISSION_DENIED, at + key + " " + path + " is owned by uid " +
                                                  std::to_string(st.st_uid) + " with mode " +
                                                  octal_mode(mode) +
                                                  "; it must be root's, mode 0600 or 0400: run "
                                                  "`chown root " +
                                                  path + " && chmod 600 " + path + "`");
    if (st.st_size <= 0 || static_cast<size_t>(st.st_size) > kMaxSecretFile)
        throw Error(CVFS_E_INVALID_CONFIG,
                    at + key + " " + path + " holds " + std::to_string(st.st_size) +
                        " bytes; expected 1 to " + std::to_string(kMaxSecretFile));
    SecretText text(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(CVFS_E_UNAVAILABLE, at + "cannot read " + key + " " + path);
        done += static_cast<size_t>(n);
    }
    return text;
}

SecretText inline_secret(const Config& config, const char* key) {
    const char* value = config.find(key)->string;
    return SecretText(value, value + std::strlen(value));
}

}  // namespace

Settings read_settings(const Config& config) {
    config.allow_only({"kms_instance_id", "secret_name", "client_key", "client_key_file",
                       "client_key_password", "client_key_password_file", "kms_cert_pem",
                       "secret_encoding", "endpoint_address", "max_attempts"});
    Settings s;
    s.source = config.source();
    s.instance_id = config.require_string("kms_instance_id");
    check_instance_id(config, s.instance_id);
    s.secret_name = config.require_string("secret_name");
    if (s.secret_name.empty())
        throw Error(CVFS_E_INVALID_CONFIG, where(config, "secret_name") + "secret_name is empty");
    s.ca_pem = config.require_string("kms_cert_pem");
    if (s.ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        throw Error(CVFS_E_INVALID_CONFIG,
                    where(config, "kms_cert_pem") +
                        "kms_cert_pem must hold the instance's CA "
                        "certificate in PEM (the PrivateKmsCA_kst-*.pem file)");
    s.client_key_file = one_of(config, "client_key", "client_key_file");
    s.client_key_password_file = one_of(config, "client_key_password", "client_key_password_file");
    if (s.client_key_file.empty()) check_inline_secrets_allowed(config, "client_key");
    if (s.client_key_password_file.empty())
        check_inline_secrets_allowed(config, "client_key_password");

    std::string encoding = config.string("secret_encoding").value_or("base64");
    if (encoding != "base64" && encoding != "raw")
        throw Error(CVFS_E_INVALID_CONFIG,
                    where(config, "secret_encoding") +
                        "secret_encoding must be \"base64\" or \"raw\", got '" + encoding + "'");
    s.raw_secret = encoding == "raw";
    read_endpoint_address(config, s);
    int64_t attempts = config.integer("max_attempts").value_or(s.max_attempts);
    if (attempts < 1 || attempts > 10)
        throw Error(CVFS_E_INVALID_CONFIG, where(config, "max_attempts") +
                                               "max_attempts must be 1 to 10, got " +
                                               std::to_string(attempts));
    s.max_attempts = static_cast<int>(attempts);
    return s;
}

SecretText load_client_key(const Config& config, const Settings& settings) {
    if (settings.client_key_file.empty()) return inline_secret(config, "client_key");
    return read_secret_file(config, "client_key_file", settings.client_key_file);
}

SecretText load_client_key_password(const Config& config, const Settings& settings) {
    SecretText text = settings.client_key_password_file.empty()
                          ? inline_secret(config, "client_key_password")
                          : read_secret_file(config, "client_key_password_file",
                                             settings.client_key_password_file);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\t'))
        text.pop_back();
    if (!text.empty() && text.front() == '{') {
        try {
            auto fields = parse_flat_json_object(view(text));
            if (const SecretText* password = find_field(fields, "ClientKeyPassword"))
                return *password;
        } catch (const JsonError&) {
        }
        throw Error(CVFS_E_INVALID_CONFIG,
                    where(config, "client_key_password") +
                        "the client key password looks like JSON but has no \"ClientKeyPassword\"");
    }
    return text;
}

}  // namespace cvfs::kms
