// Errors inside libtriad are C++ exceptions of type triad::Error; the API layer turns them into
// a status code plus a thread-local message (triad_last_error) at the extern "C" boundary.
#pragma once

#include <stdexcept>
#include <string>

#include "triad.h"

namespace triad {

class Error : public std::runtime_error {
 public:
  Error(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

[[noreturn]] inline void fail(int status, const std::string& message) {
  throw Error(status, message);
}

}  // namespace triad
