#pragma once

#include <map>
#include <string>

namespace cable::gateway {

// Between the protobuf maps of the internal API and a session's own.
template <class Map>
void CopyTo(const Map& from, std::map<std::string, std::string>& to) {
  to.clear();
  for (const auto& [k, v] : from) to.emplace(k, v);
}

template <class Map>
void CopyTo(const std::map<std::string, std::string>& from, Map& to) {
  for (const auto& [k, v] : from) to[k] = v;
}

}  // namespace cable::gateway
