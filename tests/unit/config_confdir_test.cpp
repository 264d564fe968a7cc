// Whole configuration folders: broken files are problems that do not stop the
// others, duplicate names point at the first file, only *.toml files directly
// in volumes/ are read, and the shipped conf/examples all parse.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "base/error.h"
#include "config/config_loader.h"

namespace fs = std::filesystem;

namespace {

std::string confdir(const std::string& name) {
    return std::string(CVFS_TEST_DATA) + "/config/confdirs/" + name;
}

// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "cvfs-config-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

}  // namespace

TEST_CASE("one broken volume file does not stop the others", "[confdir]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("mixed"));
    REQUIRE(set.volumes.size() == 2);
    CHECK(set.volumes[0].name == "alpha");  // sorted by name, not by file
    CHECK(set.volumes[1].name == "beta");
    CHECK(set.volumes[0].device.name == "loop");
    CHECK(set.volumes[0].key_provider.name == "passphrase");

    REQUIRE(set.problems.size() == 1);
    std::string broken = confdir("mixed") + "/volumes/b-broken.toml";
    CHECK(set.problems[0].file == broken);
    CHECK(set.problems[0].message ==
          broken +
              ":4:1: unknown key 'auto-open'; expected one of volume, dev, auto_open, "
              "makefs, integrity, timeout, encrypt, device, fs, mount, luks, rollback");
    CHECK(set.problems[0].hint == "did you mean 'auto_open'?");
}

TEST_CASE("examples, templates and folders named *.toml are not read", "[confdir]") {
    std::vector<std::string> files = cvfs::list_toml_files(confdir("mixed") + "/volumes");
    REQUIRE(files.size() == 3);
    CHECK(fs::path(files[0]).filename() == "a-good.toml");
    CHECK(fs::path(files[1]).filename() == "b-broken.toml");
    CHECK(fs::path(files[2]).filename() == "c-good.toml");
}

TEST_CASE("find returns the named volume or nullptr", "[confdir]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("mixed"));
    const cvfs::VolumeConfig* alpha = set.find("alpha");
    REQUIRE(alpha != nullptr);
    CHECK(alpha->dev == "/var/lib/cvfs/alpha.img");
    CHECK(set.find("broken") == nullptr);
    CHECK(set.find("gamma") == nullptr);
}

TEST_CASE("a duplicate volume name is a problem for the second file, naming the first",
          "[confdir]") {
    cvfs::ConfigSet set = cvfs::load_config(confdir("duplicate"));
    REQUIRE(set.volumes.size() == 2);
    CHECK(set.volumes[0].name == "data0");
    CHECK(set.volumes[0].file == confdir("duplicate") + "/volumes/one.toml");
    CHECK(set.volumes[1].name == "data1");
    REQUIRE(set.problems.size() == 1);
    std::string second = confdir("duplicate") + "/volumes/two.toml";
    CHECK(set.problems[0].file == second);
    CHECK(set.problems[0].message ==
          second + ":3:10: volume name 'data0' is already used by " + confdir("duplicate") +
              "/volumes/one.toml:2:10; expected a name used by one volume file only");
}

TEST_CASE("a confdir without volumes/ has no volumes and no problems", "[confdir]") {
    TempDir dir;
    cvfs::ConfigSet set = cvfs::load_config(dir.path().string());
    CHECK(set.volumes.empty());
    CHECK(set.problems.empty());
    CHECK(set.global.confdir == dir.path().string());
    CHECK(set.global.run_dir == "/run/cvfs");
}

TEST_CASE("a confdir that does not exist is an error", "[confdir]") {
    std::string missing = confdir("no-such-folder");
    try {
        cvfs::load_config(missing);
        FAIL("loaded a folder that does not exist");
    } catch (const cvfs::Error& error) {
        CHECK(error.kind() == cvfs::ErrorKind::Config);
        CHECK(std::string(error.what()) == missing + ": configuration folder not found");
    }
}

TEST_CASE("every shipped example volume file loads beside the shipped cvfs.toml", "[examples]") {
    fs::path conf = fs::path(CVFS_SOURCE_DIR) / "conf";
    size_t examples = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(conf / "examples")) {
        if (entry.path().extension() != ".example") continue;
        ++examples;
        // One confdir per example: otp and kms both use the seed's name data0.
        TempDir dir;
        fs::create_directory(dir.path() / "volumes");
        fs::copy_file(conf / "cvfs.toml", dir.path() / "cvfs.toml");
        fs::copy_file(entry.path(), dir.path() / "volumes" / entry.path().stem());
        cvfs::ConfigSet set = cvfs::load_config(dir.path().string());
        INFO(entry.path().filename().string());
        for (const cvfs::ConfigProblem& problem : set.problems) UNSCOPED_INFO(problem.message);
        CHECK(set.problems.empty());
        CHECK(set.volumes.size() == 1);
    }
    CHECK(examples >= 4);
}

TEST_CASE("the otp and kms examples keep the seed's schema and values", "[examples]") {
    fs::path examples = fs::path(CVFS_SOURCE_DIR) / "conf" / "examples";
    for (const char* name : {"otp.toml.example", "kms.toml.example"}) {
        cvfs::VolumeConfig volume =
            cvfs::parse_volume_file((examples / name).string(), cvfs::GlobalConfig{});
        CHECK(volume.name == "data0");
        CHECK(volume.dev == "/dev/nvme1n1p1");
        CHECK(volume.auto_open);
        REQUIRE(volume.fs);
        CHECK(volume.fs->name == "ext4");
        CHECK(volume.luks.integrity == cvfs::IntegrityMode::HmacSha256);
    }
}
