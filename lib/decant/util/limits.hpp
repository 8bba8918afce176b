#pragma once

// Every limit decant puts on what it reads, in one place. decant runs as root on servers whose
// files were written by hand over years (or by an attacker), and on analysis.json files that
// operators edit: nothing it reads may exhaust the stack, memory or time. Each limit is far above
// what a real configuration needs; docs/security.md lists them. Exceeding one is an error that
// names the input and the limit (exit 6), never a crash or a silent cut.

#include <cstddef>
#include <cstdint>

namespace decant::limits {

// A configuration file, a /proc file, a release file, analysis.json, secrets.json, a manifest:
// read whole into memory, so bounded. The largest real server.xml or standalone.xml is < 1 MiB.
inline constexpr uint64_t k_text_file_bytes = 16ull << 20;

// A program or library read whole for its ELF headers or first line (self-contained .NET
// single-file bundles reach a few hundred MiB).
inline constexpr uint64_t k_program_file_bytes = 1ull << 30;

// Nesting of JSON arrays/objects and of XML elements. analysis.json nests 5 deep, standalone.xml
// about 10; parsers and the code walking their trees must never run out of stack.
inline constexpr int k_json_depth = 64;
inline constexpr int k_xml_depth = 256;

// `${...}` placeholder expansion (Java properties, server.xml, standalone.xml): how deep values
// may refer to values, and how long one expanded value may grow ("billion laughs").
inline constexpr int k_expansion_depth = 16;
inline constexpr size_t k_expansion_bytes = 1u << 20;

// How much of an input a message quotes: the rest is summarized as its size.
inline constexpr size_t k_quote_chars = 120;

// One answer of a registry (error bodies, token answers, manifests it returns).
inline constexpr size_t k_registry_answer_bytes = 4u << 20;

} // namespace decant::limits
