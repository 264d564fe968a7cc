// Key provider "ra-tls": the volume's secret from a secret service that
// releases it only to a machine that proves what it is (remote attestation
// in TLS). Talks to cvfs-secretd, or to the Intel secretmanager of
// tdx-encrypted-vfs as deployed.
//
// Each attempt makes a fresh P-256 key, gets evidence bound to it (a TDX
// quote through configfs-tsm, or a TPM2 quote), puts the evidence in a
// self-signed certificate and asks for the secret over gRPC with that
// certificate as the TLS client identity. The secret's bytes go straight
// into the host's locked buffer. Configuration: settings.h, and
// conf/examples/ra-tls.toml.example.
#include <openssl/crypto.h>

#include <thread>

#include "certificate.h"
#include "cvfs/plugin.hpp"
#include "evidence_error.h"
#include "secret_client.h"
#include "settings.h"
#include "tdx_quote.h"
#include "tdx_quote_source.h"
#include "tpm_evidence.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::Error;
using cvfs::sdk::SecretOut;
using namespace cvfs::ratls;

// The key and certificate of one connection; the key PEM is wiped.
struct Attempt {
    ConnectionKey key;
    ClientIdentity identity;
    ~Attempt() {
        if (!identity.key_pem.empty())
            OPENSSL_cleanse(identity.key_pem.data(), identity.key_pem.size());
    }
};

// The Intel server copies the client's PEM into a 16000-byte buffer and
// accepts what it cannot parse: never send it more.
constexpr size_t kIntelMaxCertificatePem = 15000;

Bytes tdx_evidence(const Settings& s, const Sha256& binding) {
    // "cczoo": report_data = key hash ‖ 32 zero bytes, extension = quote ‖
    // key hash (the Intel server reads the appended hash, cvfs-secretd
    // report_data). "cczoo-b01": report_data = key hash ‖ u64 32 (how many
    // hash bytes that server compares) ‖ zeros, extension = the quote alone.
    ReportData report_data{};
    std::copy(binding.begin(), binding.end(), report_data.begin());
    if (s.tdx_layout_b01) report_data[32] = 32;
    Bytes quote = s.tdx_quote_command.empty()
                      ? tdx_quote_from_configfs(s.tdx_report_dir, report_data)
                      : tdx_quote_from_command(s.tdx_quote_command, report_data);
    // Quote buffers are sized for the largest quote: embed only the quote.
    quote.resize(tdx_quote_length(quote));
    if (!s.tdx_layout_b01) quote.insert(quote.end(), binding.begin(), binding.end());
    return quote;
}

void prepare(const Settings& s, Attempt& attempt) {
    const Sha256& binding = attempt.key.binding();
    if (s.evidence == EvidenceKind::tpm) {
        Bytes evidence = encode_tpm_evidence(make_tpm_evidence(s.tpm_tcti, s.tpm_pcrs, binding));
        attempt.identity.cert_pem =
            make_evidence_certificate(attempt.key, kTpmEvidenceOid, evidence);
    } else {
        attempt.identity.cert_pem =
            make_evidence_certificate(attempt.key, kIntelRaTlsOid, tdx_evidence(s, binding));
        if (s.server.protocol == Protocol::intel &&
            attempt.identity.cert_pem.size() > kIntelMaxCertificatePem)
            throw EvidenceError(EvidenceFailure::malformed,
                                "the evidence certificate is " +
                                    std::to_string(attempt.identity.cert_pem.size()) +
                                    " bytes of PEM; the Intel secretmanager mishandles more than " +
                                    std::to_string(kIntelMaxCertificatePem));
    }
    attempt.identity.key_pem = attempt.key.private_pem();
}

cvfs_status status_of(FetchFailure kind) {
    switch (kind) {
        case FetchFailure::not_found:
            return CVFS_E_NOT_FOUND;
        case FetchFailure::refused:
            return CVFS_E_PERMISSION_DENIED;
        case FetchFailure::unreachable:
            return CVFS_E_UNAVAILABLE;
        case FetchFailure::deadline:
            return CVFS_E_DEADLINE_EXCEEDED;
        case FetchFailure::failed:
            break;
    }
    return CVFS_E_INTERNAL;
}

// Waits before attempt `n` (0.5 s, 1 s, 2 s, ... up to 8 s), or throws when
// the host cancels or its deadline would pass first.
void back_off(const Call& call, int n) {
    auto wait = std::chrono::milliseconds(500) * (1 << std::min(n - 1, 4));
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        call.check_continue();
        if (call.remaining_ms() < 100)
            throw Error(CVFS_E_DEADLINE_EXCEEDED, "deadline exceeded while retrying");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void fetch(const Call& call, const Settings& s, SecretOut& out) {
    std::string last;
    for (int n = 0; n < s.attempts; ++n) {
        if (n > 0) back_off(call, n);
        call.check_continue();
        auto timeout = std::chrono::milliseconds(
            std::min<int64_t>(s.timeout_ms, std::max<int64_t>(call.remaining_ms(), 1)));
        Attempt attempt;
        try {
            prepare(s, attempt);
        } catch (const EvidenceError& e) {
            throw Error(
                e.kind() == EvidenceFailure::unavailable ? CVFS_E_UNAVAILABLE : CVFS_E_INTERNAL,
                "cannot make attestation evidence: " + std::string(e.what()));
        }
        try {
            fetch_secret(s.server, attempt.identity, s.secret_id, timeout,
                         [&](std::span<const uint8_t> secret) {
                             if (secret.empty())
                                 throw Error(
                                     CVFS_E_NOT_FOUND,
                                     "the server released an empty secret '" + s.secret_id + "'");
                             out.write(secret);
                         });
            return;
        } catch (const FetchError& e) {
            if (e.kind() != FetchFailure::unreachable) throw Error(status_of(e.kind()), e.what());
            last = e.what();
            call.log(CVFS_LOG_WARNING, "attempt " + std::to_string(n + 1) + " of " +
                                           std::to_string(s.attempts) + ": " + last);
        }
    }
    throw Error(CVFS_E_UNAVAILABLE,
                last + "; gave up after " + std::to_string(s.attempts) + " attempts");
}

class RaTls {
public:
    explicit RaTls(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { read_settings(call.config()); }

    void get_key(Call& call, uint32_t, SecretOut& out) {
        Settings s = read_settings(call.config());
        if (s.server.ca_pem.empty())
            call.log(CVFS_LOG_WARNING,
                     "ra-tls: no server_ca: the secret server " + s.server.address +
                         " is NOT authenticated (Intel compatibility mode); anyone who can answer "
                         "on that "
                         "address receives this machine's evidence and can hand it any key");
        fetch(call, s, out);
    }
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(
    RaTls, "ra-tls", "0.1.0", "cvfs",
    "Secret from cvfs-secretd or the Intel secretmanager after remote attestation (TDX or TPM2)",
    CVFS_CAP_NEEDS_NETWORK | CVFS_CAP_THREAD_SAFE)
