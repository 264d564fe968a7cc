// Key provider "aliyun-kms" (configured as [encrypt.kms]): the volume's secret
// is a generic secret in an Alibaba Cloud KMS instance, fetched over HTTPS
// with the instance API's GetSecretValue and a client key of an application
// access point.
//
// The seed tool's volume files work unchanged (kms_settings.h lists the
// keys). The secret is base64 in the KMS, as the seed tool stores it, and
// is decoded straight into the host's locked buffer; secret_encoding = "raw"
// takes it as it is. Both purposes (enrol and unlock) fetch the same secret:
// the KMS keeps it, so the volume is persistent.
//
// The plugin keeps one OpenSSL library context with the legacy provider
// (needed by the console's PKCS#12 files) for its own use; each call builds
// everything else afresh, so calls for different volumes run concurrently.
#include "cvfs/plugin.hpp"
#include "kms_fetch.h"
#include "kms_settings.h"
#include "kms_signing.h"

namespace {

using cvfs::sdk::Call;
using cvfs::sdk::SecretOut;

class AliyunKms {
public:
    explicit AliyunKms(const cvfs::sdk::Host&) {}

    void check_config(Call& call) { cvfs::kms::read_settings(call.config()); }

    void get_key(Call& call, uint32_t /*purpose*/, SecretOut& out) {
        cvfs::kms::Settings settings = cvfs::kms::read_settings(call.config());
        cvfs::kms::fetch_secret(crypto_, call, settings, out);
    }

private:
    cvfs::kms::CryptoContext crypto_;
};

}  // namespace

CVFS_KEY_PROVIDER_PLUGIN(AliyunKms, "aliyun-kms", "0.1.0", "cvfs",
                         "Secret from an Alibaba Cloud KMS instance (GetSecretValue)",
                         CVFS_CAP_NEEDS_NETWORK | CVFS_CAP_THREAD_SAFE)
