// Configuration that others than root could have written is never used: a
// volume file, a plugins.d file, cvfs.toml or one of their folders that is
// writable by group or others, or owned by another user, is refused with the
// exact chmod/chown that fixes it, and the other files still load.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "config/config_loader.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;

namespace {

// A confdir under the system temp dir (mode 0700, like mkdtemp makes it)
// with volumes/ and plugins.d/ (mode 0755), removed at the end.
class ConfDir {
public:
    ConfDir() {
        std::string pattern = (fs::temp_directory_path() / "cvfs-perm-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
        for (const char* sub : {"volumes", "plugins.d"}) {
            fs::create_directory(path_ / sub);
            ::chmod((path_ / sub).c_str(), 0755);
        }
    }
    ~ConfDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    ConfDir(const ConfDir&) = delete;
    ConfDir& operator=(const ConfDir&) = delete;

    std::string str() const { return path_.string(); }
    std::string sub(const std::string& name) const { return (path_ / name).string(); }

    // Writes `text` to `name` (relative to the confdir) with `mode`.
    std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) const {
        std::string file = sub(name);
        std::ofstream(file) << text;
        REQUIRE(::chmod(file.c_str(), mode) == 0);
        return file;
    }

    std::string volume(const std::string& name, mode_t mode = 0644) const {
        return write("volumes/" + name + ".toml",
                     "volume = \"" + name + "\"\ndev = \"/var/lib/cvfs/" + name + ".img\"\n\n[encrypt.otp]\n",
                     mode);
    }

private:
    fs::path path_;
};

const cvfs::ConfigProblem* problem_for(const cvfs::ConfigSet& set, const std::string& file) {
    for (const auto& problem : set.problems)
        if (problem.file == file) return &problem;
    return nullptr;
}

}  // namespace

TEST_CASE("a volume file writable by others is refused, the others still load", "[permissions]") {
    ConfDir conf;
    conf.volume("good");
    std::string bad = conf.volume("bad", 0666);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    REQUIRE(set.volumes.size() == 1);
    CHECK(set.volumes[0].name == "good");
    CHECK(set.find("bad") == nullptr);
    const cvfs::ConfigProblem* problem = problem_for(set, bad);
    REQUIRE(problem != nullptr);
    CHECK(problem->message ==
          bad + ": the volume file is refused: it is writable by group or others (mode 0666); "
                "only root may be able to change it: run `chmod go-w " + bad + "`");
}

TEST_CASE("a volume file writable by its group is refused", "[permissions]") {
    ConfDir conf;
    std::string bad = conf.volume("grp", 0664);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    CHECK(set.volumes.empty());
    REQUIRE(problem_for(set, bad) != nullptr);
    CHECK_THAT(problem_for(set, bad)->message, Contains("writable by group or others (mode 0664)"));
}

TEST_CASE("a volume file owned by another user is refused (needs root to chown)", "[permissions]") {
    REQUIRE(::geteuid() == 0);
    ConfDir conf;
    std::string bad = conf.volume("theirs");
    REQUIRE(::chown(bad.c_str(), 4242, 4242) == 0);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    CHECK(set.volumes.empty());
    const cvfs::ConfigProblem* problem = problem_for(set, bad);
    REQUIRE(problem != nullptr);
    CHECK_THAT(problem->message, Contains("the volume file is refused: it is owned by uid 4242, not by root"));
    CHECK_THAT(problem->message, EndsWith("run `chown root:root " + bad + "`"));
}

TEST_CASE("a volumes folder writable by others is refused with every volume in it", "[permissions]") {
    ConfDir conf;
    conf.volume("a");
    std::string dir = conf.sub("volumes");
    REQUIRE(::chmod(dir.c_str(), 0777) == 0);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    CHECK(set.volumes.empty());
    const cvfs::ConfigProblem* problem = problem_for(set, dir);
    REQUIRE(problem != nullptr);
    CHECK(problem->message == dir + ": the volume folder is refused: it is writable by group or others "
                                    "(mode 0777); only root may be able to change it: run `chmod go-w " +
                                    dir + "`");
}

TEST_CASE("a linked volume file is checked where the link leads", "[permissions]") {
    ConfDir conf;
    std::string elsewhere = conf.sub("elsewhere");
    fs::create_directory(elsewhere);
    conf.write("elsewhere/linked.toml", "volume = \"linked\"\ndev = \"/var/lib/cvfs/l.img\"\n[encrypt.otp]\n");
    fs::create_symlink(elsewhere + "/linked.toml", conf.sub("volumes/linked.toml"));
    REQUIRE(::chmod(elsewhere.c_str(), 0755) == 0);
    CHECK(cvfs::load_config(conf.str()).find("linked") != nullptr);

    REQUIRE(::chmod(elsewhere.c_str(), 0777) == 0);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    CHECK(set.find("linked") == nullptr);
    const cvfs::ConfigProblem* problem = problem_for(set, conf.sub("volumes/linked.toml"));
    REQUIRE(problem != nullptr);
    CHECK_THAT(problem->message, Contains("its real folder " + elsewhere + " is writable by group or others"));
    CHECK_THAT(problem->message, EndsWith("run `chmod go-w " + elsewhere + "`"));
}

TEST_CASE("a plugins.d file writable by others registers nothing", "[permissions]") {
    ConfDir conf;
    std::string bad = conf.write("plugins.d/acme.toml",
                                 "name = \"acme\"\nkind = \"key-provider\"\npath = \"/opt/acme/key-acme.so\"\n",
                                 0666);
    std::vector<cvfs::ConfigProblem> problems;
    cvfs::GlobalConfig global = cvfs::parse_global_config(conf.str(), &problems);
    CHECK(global.registered.empty());
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].file == bad);
    CHECK_THAT(problems[0].message, Contains(bad + ": the plugin registration is refused: it is writable"));
    CHECK_THAT(problems[0].message, EndsWith("run `chmod go-w " + bad + "`"));

    REQUIRE(::chmod(bad.c_str(), 0644) == 0);
    problems.clear();
    CHECK(cvfs::parse_global_config(conf.str(), &problems).registered.size() == 1);
    CHECK(problems.empty());
}

TEST_CASE("a plugins.d folder writable by others registers nothing", "[permissions]") {
    ConfDir conf;
    conf.write("plugins.d/acme.toml", "name = \"acme\"\nkind = \"key-provider\"\npath = \"/opt/acme/key-acme.so\"\n");
    std::string dir = conf.sub("plugins.d");
    REQUIRE(::chmod(dir.c_str(), 0757) == 0);
    std::vector<cvfs::ConfigProblem> problems;
    CHECK(cvfs::parse_global_config(conf.str(), &problems).registered.empty());
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].file == dir);
    CHECK_THAT(problems[0].message, Contains("the plugin registration folder is refused: it is writable by group or "
                                             "others (mode 0757)"));
}

TEST_CASE("a cvfs.toml writable by others is refused and the defaults apply", "[permissions]") {
    ConfDir conf;
    std::string global = conf.write("cvfs.toml", "[plugins]\ndirs = [\"/tmp/evil\"]\n", 0646);
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    CHECK(set.global.plugin_dirs == std::vector<std::string>{CVFS_DEFAULT_PLUGINDIR});
    const cvfs::ConfigProblem* problem = problem_for(set, global);
    REQUIRE(problem != nullptr);
    CHECK_THAT(problem->message, Contains("the global configuration file is refused: it is writable by group or "
                                          "others (mode 0646)"));
    CHECK_THROWS_AS(cvfs::parse_global_config(conf.str()), cvfs::Error);
}

TEST_CASE("a configuration folder writable by others is refused as a whole", "[permissions]") {
    ConfDir conf;
    conf.volume("a");
    REQUIRE(::chmod(conf.str().c_str(), 0777) == 0);
    try {
        cvfs::load_config(conf.str());
        FAIL("loaded a configuration folder anyone can write");
    } catch (const cvfs::Error& error) {
        CHECK(error.kind() == cvfs::ErrorKind::Config);
        CHECK(std::string(error.what()) ==
              conf.str() + ": the configuration folder is refused: it is writable by group or others "
                           "(mode 0777); only root may be able to change it: run `chmod go-w " +
                           conf.str() + "`");
        CHECK_THAT(error.hint(), Contains("format a disk"));
    }
}

TEST_CASE("a mkdtemp confdir with umask-022 files loads without problems", "[permissions]") {
    ConfDir conf;
    conf.volume("a");
    conf.write("cvfs.toml", "[defaults]\ntimeout = 30\n");
    cvfs::ConfigSet set = cvfs::load_config(conf.str());
    for (const auto& problem : set.problems) UNSCOPED_INFO(problem.message);
    CHECK(set.problems.empty());
    CHECK(set.volumes.size() == 1);
}
