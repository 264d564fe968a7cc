// The [encrypt.kms] table of a volume file, read and checked.
//
// The seed tool's keys work unchanged: kms_instance_id, secret_name,
// client_key (the console's JSON), client_key_password, kms_cert_pem. cvfs
// adds client_key_file and client_key_password_file (root-only files instead
// of inline secrets), secret_encoding ("base64", the seed's format, or "raw"),
// endpoint_address (where TCP connects; the name checked stays the
// instance's) and max_attempts.
//
// Inline secrets are only accepted from a volume file nobody else can read:
// owned by root (or the user cvfs runs as) with no group or other bits.
#pragma once

#include <string>

#include "cvfs/plugin.hpp"
#include "locked_memory.h"

namespace cvfs::kms {

struct Settings {
    std::string source;  // the volume file
    std::string instance_id;
    std::string secret_name;
    std::string client_key_file;           // empty: inline client_key
    std::string client_key_password_file;  // empty: inline client_key_password
    std::string ca_pem;
    std::string connect_host;  // empty: the instance's host name
    std::string port = "443";
    bool raw_secret = false;
    int max_attempts = 4;

    std::string host() const { return instance_id + ".cryptoservice.kms.aliyuncs.com"; }
};

// Reads and checks the table (no network). Throws cvfs::sdk::Error.
Settings read_settings(const sdk::Config& config);

// The client key JSON and its password, from the table or their files, in
// locked memory. The password has trailing whitespace removed and may be the
// console's {"ClientKeyPassword": "..."} form.
SecretText load_client_key(const sdk::Config& config, const Settings& settings);
SecretText load_client_key_password(const sdk::Config& config, const Settings& settings);

}  // namespace cvfs::kms
