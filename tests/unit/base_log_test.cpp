// Log lines for the journal: when stderr is journald's stream each line starts
// with its syslog priority ("<3>" for errors), so `journalctl -p err` shows
// the failures alone; on a terminal or a file lines stay as they were.
#include "base/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

using cvfs::format_log_line;
using cvfs::journal_stream_matches;
using cvfs::LogLevel;

TEST_CASE("each level has its syslog priority") {
    CHECK(cvfs::syslog_priority(LogLevel::Error) == 3);
    CHECK(cvfs::syslog_priority(LogLevel::Warning) == 4);
    CHECK(cvfs::syslog_priority(LogLevel::Info) == 6);
    CHECK(cvfs::syslog_priority(LogLevel::Debug) == 7);
}

TEST_CASE("a journal line starts with its priority, a terminal line does not") {
    CHECK(format_log_line("cvfs", LogLevel::Error, "volume 'data0': no key", true) ==
          "<3>cvfs: error: volume 'data0': no key");
    CHECK(format_log_line("cvfs", LogLevel::Warning, "volume 'data0': slow", true) ==
          "<4>cvfs: warning: volume 'data0': slow");
    CHECK(format_log_line("cvfs", LogLevel::Info, "volume 'data0' is open", true) ==
          "<6>cvfs: info: volume 'data0' is open");
    CHECK(format_log_line("cvfs", LogLevel::Error, "volume 'data0': no key", false) ==
          "cvfs: error: volume 'data0': no key");
}

TEST_CASE("every further line of a journal message carries the priority too") {
    CHECK(format_log_line("cvfs", LogLevel::Error, "volume 'a': bad\n  hint: fix it", true) ==
          "<3>cvfs: error: volume 'a': bad\n<3>  hint: fix it");
    CHECK(format_log_line("cvfs", LogLevel::Error, "volume 'a': bad\n  hint: fix it", false) ==
          "cvfs: error: volume 'a': bad\n  hint: fix it");
}

TEST_CASE("JOURNAL_STREAM must name exactly this stream") {
    CHECK(journal_stream_matches("8:1234", 8, 1234));
    CHECK_FALSE(journal_stream_matches("8:1234", 8, 1235));
    CHECK_FALSE(journal_stream_matches("9:1234", 8, 1234));
    CHECK_FALSE(journal_stream_matches(nullptr, 8, 1234));
    CHECK_FALSE(journal_stream_matches("", 8, 1234));
    CHECK_FALSE(journal_stream_matches("8:1234x", 8, 1234));
    CHECK_FALSE(journal_stream_matches("8", 8, 1234));
    CHECK_FALSE(journal_stream_matches(":1234", 8, 1234));
    CHECK_FALSE(journal_stream_matches("8:", 8, 1234));
}

TEST_CASE("stderr is the journal only when JOURNAL_STREAM names its device and inode") {
    struct stat st {};
    REQUIRE(fstat(2, &st) == 0);
    const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    const char* saved = std::getenv("JOURNAL_STREAM");
    const std::string saved_value = saved ? saved : "";
    setenv("JOURNAL_STREAM", mine.c_str(), 1);
    CHECK(cvfs::stderr_is_journal());
    // A child whose stderr was redirected inherits the variable but not the stream.
    setenv("JOURNAL_STREAM", other.c_str(), 1);
    CHECK_FALSE(cvfs::stderr_is_journal());
    unsetenv("JOURNAL_STREAM");
    CHECK_FALSE(cvfs::stderr_is_journal());
    if (saved) setenv("JOURNAL_STREAM", saved_value.c_str(), 1);
}
