// Fuzzes the LUKS2 JSON metadata and the cvfs token JSON where cvfs reads them
// without libcryptsetup: header facts from JSON text (used for headers that
// libcryptsetup would not load), the allow-list on those facts, and the cvfs
// token with its keyslot list. Input: the JSON text.
#include <cstdint>
#include <string>

#include "base/error.h"
#include "luks/cvfs_token.h"
#include "luks/header_facts.h"
#include "luks/header_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string json(reinterpret_cast<const char*>(data), size);
    try {
        cvfs::HeaderFacts facts = cvfs::header_facts_from_json(json);
        (void)cvfs::check_header_policy(facts, cvfs::LuksParams{});
        cvfs::LuksParams integrity;
        integrity.integrity = cvfs::IntegrityMode::HmacSha256;
        (void)cvfs::check_header_policy(facts, integrity);
    } catch (const cvfs::Error&) {
    }
    try {
        cvfs::CvfsToken token = cvfs::CvfsToken::from_json(json);
        (void)token.to_json(0);
    } catch (const cvfs::Error&) {
    }
    try {
        (void)cvfs::token_keyslots(json);
    } catch (const cvfs::Error&) {
    }
    return 0;
}
