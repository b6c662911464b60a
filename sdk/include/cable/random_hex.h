#pragma once

#include <cstddef>
#include <string>

namespace cable {

// `bytes` bytes from std::random_device as 2 * `bytes` lowercase hex digits:
// ids that name a process or a connection (gateway and service ids, the
// random part of session ids).
std::string RandomHex(std::size_t bytes);

}  // namespace cable
