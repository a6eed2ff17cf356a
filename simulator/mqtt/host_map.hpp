#pragma once
// The --map-host table: lets a test or a lab send a module's "broker.example.com"
// to a broker of its own without touching DNS. Pure data, standard library only.
//
// Spec form (one per --map-host):  HOST[:PORT]=ADDR:PORT
//   HOST  a host name or address as the module would be given it (ECMTOPEN); compared
//         case-insensitively; an IPv6 literal is written in brackets: [::1]:1883=...
//   PORT  optional; with it the entry matches only that port, without it any port
//   ADDR  where to go instead: an IPv4 address, [IPv6] in brackets, or a name
//   PORT  the port to use there (1-65535, mandatory)
// Lookup: an entry with the exact port wins over a port-less one for the same host;
// adding the same HOST[:PORT] again replaces the earlier entry.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nt35e::mqtt {

/// A host and port as given to or produced by the table. IPv6 addresses are kept
/// without brackets ("::1").
struct host_port {
  std::string host;
  int port = 0;
  friend bool operator==(const host_port&, const host_port&) = default;
};

class host_map {
 public:
  struct entry {
    std::string host;         ///< lower case, IPv6 without brackets
    std::optional<int> port;  ///< nullopt: any port
    host_port target;
  };

  /// Parses one spec. On failure returns nullopt and, if `error` is given, one
  /// sentence saying what is wrong (for the command line's error message).
  static std::optional<entry> parse_entry(std::string_view spec, std::string* error = nullptr);

  /// Builds a table from several specs; nullopt (and *error) on the first bad one.
  static std::optional<host_map> parse(const std::vector<std::string>& specs, std::string* error = nullptr);

  /// Adds one spec. Returns an empty string on success, else the error sentence.
  std::string add(std::string_view spec);
  /// Adds a parsed entry (replacing one with the same host and port).
  void add(entry e);

  /// The mapped target for host:port, or host:port unchanged when nothing matches.
  /// A bracketed IPv6 host ("[::1]") is looked up and returned without brackets.
  [[nodiscard]] host_port resolve(std::string_view host, int port) const;

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const std::vector<entry>& entries() const { return entries_; }

  /// "HOST[:PORT]=ADDR:PORT" for one entry (IPv6 bracketed), for logs.
  static std::string format(const entry& e);

 private:
  std::vector<entry> entries_;
};

}  // namespace nt35e::mqtt
