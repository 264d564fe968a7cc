// Load benchmark of cvfs-secretd: attested key releases per second and their
// p50/p99 latency, beside a plain TLS gRPC call as the baseline. On a shared
// machine one run of each says little (load comes and goes), so the two
// servers, both warmed up first, are measured in alternation over several
// rounds (the order flips each round), and the median, minimum and maximum
// of each figure and of the per-round ratio are printed.
//
// Both servers run in this process with the same TLS setup (server cert,
// client cert required) and the same client path as the ra-tls plugin: a new
// channel, hence a full TLS handshake, per request. The attested server is
// cvfs-secretd's own service: it verifies a TDX quote (PCK chain, QE report,
// quote signature; quotes from the test PKI), checks report_data against the
// client's key and the policy, and writes an audit line. The baseline server
// answers the same RPC with a constant. Client identities (key + quote
// certificate) are made before timing starts. Runs on CPUs 0-1.
//
//   ratls_release_bench [seconds per measurement, default 2] [client threads, default 8]
//                       [rounds, default 5]
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "secret_client.h"
#include "secret_service.h"
#include "test_pki.h"

using namespace cvfs;
using namespace ratls_test;
namespace gx = grpc::experimental;
using Clock = std::chrono::steady_clock;

namespace {

class ConstantService final : public secret::v1::SecretRelease::Service {
    grpc::Status Release(grpc::ServerContext*, const secret::v1::ReleaseRequest*,
                         secret::v1::ReleaseReply* reply) override {
        reply->set_secret("constant-reply-of-32-bytes-xxxxx");
        return grpc::Status::OK;
    }
};

std::unique_ptr<grpc::Server> start(grpc::Service* service, const std::string& key,
                                    const std::string& cert, int& port) {
    auto provider = std::make_shared<gx::StaticDataCertificateProvider>(
        std::vector<gx::IdentityKeyCertPair>{{key, cert}});
    gx::TlsServerCredentialsOptions options(provider);
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_BUT_DONT_VERIFY);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", gx::TlsServerCredentials(options), &port);
    builder.RegisterService(service);
    return builder.BuildAndStart();
}

struct Figures {
    double per_second = 0, p50_ms = 0, p99_ms = 0;
    size_t requests = 0, failures = 0;
};

Figures measure(const ratls::ServerOptions& server,
                const std::vector<ratls::ClientIdentity>& identities, int threads, double seconds) {
    std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
    std::atomic<size_t> failures{0};
    auto until = Clock::now() + std::chrono::duration<double>(seconds);
    auto begin = Clock::now();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (size_t i = static_cast<size_t>(t); Clock::now() < until;
                 i += static_cast<size_t>(threads)) {
                auto start = Clock::now();
                try {
                    ratls::fetch_secret(server, identities[i % identities.size()], "luksKey",
                                        std::chrono::seconds(10), [](std::span<const uint8_t>) {});
                } catch (const std::exception&) {
                    ++failures;
                    continue;
                }
                latencies[static_cast<size_t>(t)].push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            }
        });
    for (auto& w : workers) w.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    Figures f;
    f.requests = all.size();
    f.failures = failures;
    if (all.empty()) return f;
    f.per_second = static_cast<double>(all.size()) / elapsed;
    f.p50_ms = all[all.size() / 2];
    f.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    return f;
}

struct Spread {
    double median = 0, min = 0, max = 0;
};

Spread spread_of(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    if (values.empty()) return {};
    size_t n = values.size();
    double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    return {median, values.front(), values.back()};
}

void print_spread(const char* what, const std::vector<double>& values, int decimals) {
    Spread s = spread_of(values);
    std::printf("%-40s%10.*f%10.*f%10.*f\n", what, decimals, s.median, decimals, s.min, decimals,
                s.max);
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    int threads = argc > 2 ? std::atoi(argv[2]) : 8;
    int rounds = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    CPU_SET(1, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);

    // Server identity, signed by a CA the clients pin.
    Pkey ca_key = new_p256_key(), server_key = new_p256_key();
    X509Ptr ca = make_cert("bench CA", ca_key.get(), nullptr, nullptr, true);
    X509Ptr server_cert = make_cert("localhost", server_key.get(), ca.get(), ca_key.get(), false,
                                    "DNS:localhost,IP:127.0.0.1");
    std::string key_pem = pem_of_key(server_key.get()), cert_pem = pem_of(server_cert.get());

    // The attested service, configured as in production (audit log included).
    TdxTestPki pki = TdxTestPki::create("bench");
    QuoteFields fields = QuoteFields::sample();
    auto state = std::make_shared<secretd::ServiceState>();
    state->config.tdx.root_pem = pki.root_pem();
    state->config.tdx_root_ca = "bench-root.pem";
    secretd::ReleasePolicy policy;
    policy.tdx_mrtd = {ratls::Bytes(fields.mr_td.begin(), fields.mr_td.end())};
    state->config.policies["luksKey"] = policy;
    std::string json = R"({"luksKey": "0123456789abcdef0123456789abcdef"})";
    state->store = secretd::SecretStore::parse(
        {reinterpret_cast<const uint8_t*>(json.data()), json.size()}, "bench");
    secretd::StateHolder holder;
    holder.set(state);
    std::filesystem::path audit_path =
        std::filesystem::temp_directory_path() / ("ratls-bench-audit-" + std::to_string(getpid()));
    secretd::AuditLog audit(audit_path.string());
    secretd::CvfsReleaseService attested(holder, audit);
    ConstantService constant;
    int attested_port = 0, plain_port = 0;
    auto attested_server = start(&attested, key_pem, cert_pem, attested_port);
    auto plain_server = start(&constant, key_pem, cert_pem, plain_port);

    // Client identities: a fresh key each, with a TDX quote bound to it.
    std::vector<ratls::ClientIdentity> quoted, plain;
    for (int i = 0; i < 64; ++i) {
        ratls::ConnectionKey key;
        QuoteFields f = fields;
        std::copy(key.binding().begin(), key.binding().end(), f.report_data.begin());
        ratls::Bytes ext = make_tdx_quote(pki, f);
        quoted.push_back(
            {key.private_pem(), ratls::make_evidence_certificate(key, ratls::kIntelRaTlsOid, ext)});
        plain.push_back({key.private_pem(),
                         pem_of(make_cert("client", key.get(), nullptr, nullptr, false).get())});
    }
    ratls::ServerOptions to_attested{"127.0.0.1:" + std::to_string(attested_port),
                                     ratls::Protocol::cvfs, pem_of(ca.get()), "localhost"};
    ratls::ServerOptions to_plain{"127.0.0.1:" + std::to_string(plain_port), ratls::Protocol::cvfs,
                                  pem_of(ca.get()), "localhost"};

    // Both servers warmed up (TLS session setup, thread pools, allocator).
    measure(to_attested, quoted, threads, 1.0);
    measure(to_plain, plain, threads, 1.0);
    std::vector<double> base_rate, att_rate, base_p50, att_p50, att_p99, ratio;
    size_t failures = 0, base_requests = 0, att_requests = 0;
    std::printf(
        "ratls_release_bench: %d client threads, %.1f s per measurement, %d rounds alternating the "
        "servers, new TLS connection per request, CPUs 0-1\n",
        threads, seconds, rounds);
    std::printf("%-8s %14s %14s %8s\n", "round", "plain req/s", "attested req/s", "ratio");
    for (int round = 0; round < rounds; ++round) {
        Figures base, att;
        if (round % 2 == 0) {
            base = measure(to_plain, plain, threads, seconds);
            att = measure(to_attested, quoted, threads, seconds);
        } else {
            att = measure(to_attested, quoted, threads, seconds);
            base = measure(to_plain, plain, threads, seconds);
        }
        failures += base.failures + att.failures;
        base_requests += base.requests;
        att_requests += att.requests;
        base_rate.push_back(base.per_second);
        att_rate.push_back(att.per_second);
        base_p50.push_back(base.p50_ms);
        att_p50.push_back(att.p50_ms);
        att_p99.push_back(att.p99_ms);
        double r = base.per_second > 0 ? att.per_second / base.per_second : 0;
        ratio.push_back(r);
        std::printf("%-8d %14.1f %14.1f %8.2f%s\n", round + 1, base.per_second, att.per_second, r,
                    round % 2 ? "  (attested first)" : "");
    }
    std::error_code ignored;
    std::filesystem::remove(audit_path, ignored);

    std::printf("%-40s%10s%10s%10s\n", "", "median", "min", "max");
    print_spread("plain TLS gRPC call (baseline), req/s", base_rate, 1);
    print_spread("attested release (TDX quote), req/s", att_rate, 1);
    print_spread("attested / baseline throughput", ratio, 2);
    print_spread("plain p50 ms", base_p50, 2);
    print_spread("attested p50 ms", att_p50, 2);
    print_spread("attested p99 ms", att_p99, 2);
    std::printf("requests: %zu plain, %zu attested, %zu failed\n", base_requests, att_requests,
                failures);
    attested_server->Shutdown();
    plain_server->Shutdown();
    return att_requests > 0 && base_requests > 0 && failures == 0 ? 0 : 1;
}
