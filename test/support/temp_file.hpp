// A file in the temp directory holding `text`, removed at scope exit; the
// name carries the pid and a counter so parallel test runs never collide.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace kvip::test {

class temp_file {
public:
  explicit temp_file(const std::string& text, const std::string& suffix = ".yaml") {
    static int n = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("kvip_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + suffix);
    std::ofstream{path_} << text;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  std::string path() const { return path_.string(); }

private:
  std::filesystem::path path_;
};

} // namespace kvip::test
