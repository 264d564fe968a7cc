// The hostile-header corpus (luks_hostile_cases.h) run through the header
// check that `cvfs open` and `cvfs show` use (CheckedHeader::load): for a
// header made by cvfs and one made with libcryptsetup's defaults, every case
// is refused or accepted as the allow-list says, with a message naming the
// reason, and nothing else escapes. Also: metadata areas from 16 KiB to 4 MiB.
// The output lists the cases' count per class and verdict.
#include "base/error.h"
#include "luks/luks_volume.h"
#include "luks_hostile_cases.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>

using namespace cvfs;
using hostile::Case;
using hostile::Expect;

namespace {

struct Tally {
    int cases = 0, refused = 0, accepted = 0;
};

struct Outcome {
    const Case* c;
    bool refused;
    std::string message;
};

struct Run {
    std::vector<Case> cases;
    std::vector<Outcome> outcomes;
    std::map<std::string, Tally> tally;
    std::string image;
};

void make_cvfs_header(const std::string& path) {
    FormattedVolume::format(path, LuksParams{}, KdfChoice::MachineSecret, luks_test::secret_of(luks_test::kSecret),
                            luks_test::token_for("v"));
}

// `cryptsetup luksFormat` with its defaults (argon2id, benchmarked), on a
// 4096-byte-sector device; with `metadata_size`, that metadata size and a
// PBKDF2 keyslot at the minimal cost, so seven sizes stay quick.
void make_cryptsetup_header(const std::string& path, uint64_t metadata_size = 0) {
    crypt_device* cd = nullptr;
    REQUIRE(crypt_init(&cd, path.c_str()) == 0);
    if (metadata_size) {
        REQUIRE(crypt_set_metadata_size(cd, metadata_size, 0) == 0);
        crypt_pbkdf_type pbkdf{};
        pbkdf.type = CRYPT_KDF_PBKDF2;
        pbkdf.hash = "sha256";
        pbkdf.iterations = 1000;
        pbkdf.flags = CRYPT_PBKDF_NO_BENCHMARK;
        REQUIRE(crypt_set_pbkdf_type(cd, &pbkdf) == 0);
    }
    crypt_params_luks2 params{};
    params.sector_size = 4096;
    REQUIRE(crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", nullptr, nullptr, 64, &params) == 0);
    const std::string passphrase = "correct horse battery staple";
    REQUIRE(crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, nullptr, 0, passphrase.data(), passphrase.size()) >= 0);
    crypt_free(cd);
}

bool names_one_of(const std::string& message, const std::vector<std::string>& reasons) {
    for (const auto& r : reasons)
        if (message.find(r) != std::string::npos) return true;
    return reasons.empty();
}

// Like luks_test::write_bytes, without its fsync: 500 cases on a disk-backed
// temp folder would spend minutes waiting for the disk, and the reader is this process.
void write_without_sync(const std::string& path, const std::vector<uint8_t>& bytes) {
    int fd = ::open(path.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    ssize_t put = ::pwrite(fd, bytes.data(), bytes.size(), 0);
    ::close(fd);
    REQUIRE(put == static_cast<ssize_t>(bytes.size()));
}

// Every case of the base named `name`, run once through CheckedHeader::load
// on an image whose keyslots area stays the base's; kept for both test cases.
const Run& run_of(const std::string& name) {
    static std::map<std::string, std::unique_ptr<luks_test::ImageFile>> images;
    static std::map<std::string, Run> runs;
    if (auto it = runs.find(name); it != runs.end()) return it->second;
    auto& image = images[name] = std::make_unique<luks_test::ImageFile>();
    if (name == "cvfs") make_cvfs_header(image->path());
    else make_cryptsetup_header(image->path());
    REQUIRE_NOTHROW(CheckedHeader::load(image->path(), LuksParams{}));
    Run& run = runs[name];
    run.image = image->path();
    run.cases = hostile::all_cases(hostile::read_base(name, image->path()));
    for (const Case& c : run.cases) {
        write_without_sync(run.image, c.metadata);
        Outcome o{&c, false, {}};
        try {
            CheckedHeader header = CheckedHeader::load(run.image, LuksParams{});
            (void)header.token();
        } catch (const Error& e) {  // anything else escapes and fails the test
            o.refused = true;
            o.message = e.what();
        }
        Tally& t = run.tally[c.klass];
        ++t.cases;
        ++(o.refused ? t.refused : t.accepted);
        run.outcomes.push_back(o);
    }
    return run;
}

void check_verdicts(const Run& run) {
    for (const Outcome& o : run.outcomes) {
        INFO(o.c->klass << " / " << o.c->name << (o.refused ? " refused: " + o.message : std::string(" accepted")));
        if (o.c->expect == Expect::Accept) CHECK_FALSE(o.refused);
        if (o.c->expect == Expect::Refuse) CHECK(o.refused);
    }
}

// A refusal names the device, and for a Refuse case one of its reasons.
// libcryptsetup refuses some inconsistent headers itself and tells only
// "Invalid argument" (its reasons go to its debug log): those are counted and
// printed, and must still name the device.
void check_messages(const Run& run) {
    static const std::string generic = "has no valid LUKS2 header: Invalid argument";
    int by_libcryptsetup = 0;
    for (const Outcome& o : run.outcomes) {
        if (!o.refused) continue;
        INFO(o.c->klass << " / " << o.c->name << " refused: " << o.message);
        CHECK(o.message.find(run.image) != std::string::npos);
        if (o.message.find(generic) != std::string::npos) {
            ++by_libcryptsetup;
            continue;
        }
        if (o.c->expect == Expect::Refuse) CHECK(names_one_of(o.message, o.c->reasons));
    }
    std::cout << "  " << by_libcryptsetup << " refusals by libcryptsetup itself, without a reason\n";
}

void print(const std::string& title, const std::map<std::string, Tally>& tally) {
    int all = 0;
    std::cout << title << "\n";
    for (const auto& [klass, t] : tally) {
        std::cout << "  " << klass << ": " << t.cases << " cases, " << t.refused << " refused, " << t.accepted
                  << " accepted\n";
        all += t.cases;
    }
    std::cout << "  " << all << " cases in " << tally.size() << " classes\n";
}

}  // namespace

TEST_CASE("hostile headers: every case from a cvfs header gets the allow-list's verdict") {
    const Run& run = run_of("cvfs");
    print("hostile headers from a cvfs header:", run.tally);
    CHECK(run.tally.size() >= 8);
    check_verdicts(run);
}

TEST_CASE("hostile headers: every case from a libcryptsetup-defaults header gets the allow-list's verdict") {
    const Run& run = run_of("cryptsetup");
    print("hostile headers from a libcryptsetup-defaults header:", run.tally);
    CHECK(run.tally.size() >= 8);
    check_verdicts(run);
}

TEST_CASE("hostile headers: each refusal names the device and the reason") {
    check_messages(run_of("cvfs"));
    check_messages(run_of("cryptsetup"));
}

TEST_CASE("hostile headers: metadata areas from 16 KiB to 4 MiB load, and their deepest JSON does not crash") {
    for (uint64_t size = 16 << 10; size <= 4 << 20; size *= 2) {
        luks_test::ImageFile image(64);
        make_cryptsetup_header(image.path(), size);
        INFO("metadata size " << size);
        CHECK(luks_test::metadata_size(image.path()) == size);
        CHECK_NOTHROW(CheckedHeader::load(image.path(), LuksParams{}));
        // A token nested as deep as the area holds: refused or loaded, never a crash.
        hostile::Base base = hostile::read_base("cryptsetup", image.path());
        const size_t depth = (size - luks_test::kBinaryHeaderSize - hostile::dump(base.json).size()) / 2 - 100;
        std::string json = hostile::dump(base.json);
        std::string token = R"("9":{"type":"vendor-deep","keyslots":[],"data":)" + std::string(depth, '[') +
                            std::string(depth, ']') + "}";
        auto at = json.find("\"tokens\":{");
        REQUIRE(at != std::string::npos);
        json.insert(at + 10, token + (json[at + 10] == '}' ? "" : ","));
        luks_test::write_bytes(image.path(), 0, hostile::with_json(base, json));
        try {
            CheckedHeader::load(image.path(), LuksParams{});
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find(image.path()) != std::string::npos);
        }
    }
}
