// cdcnn profile: what every layer costs on this device, one shard of every
// linear layer for each candidate k, every message's bytes, and (under
// mpirun, --network) every link's latency and bandwidth: the planner's
// measured inputs (plan/profile.hpp; the file is io/profile_file.hpp).

#include <unistd.h>

#include <cstdio>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"
#include "io/profile_file.hpp"
#include "runtime/link_probe.hpp"
#include "runtime/mpi.hpp"

namespace cdcnn::cli {

namespace {

void print_profile(const Profile& p, const std::vector<int>& ks) {
  std::printf("model %s on %s, median of %d runs\n", p.model.c_str(), p.host.c_str(), p.repeats);
  std::vector<std::vector<std::string>> rows = {{"#", "layer", "kind", "ms", "in KB", "out KB"}};
  for (int k : ks) rows.front().push_back("shard ms k=" + std::to_string(k));
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    std::vector<std::string> row = {std::to_string(i), l.name, l.kind, format_cell(l.ms, "%.3f"),
                                    format_cell(static_cast<double>(l.input_bytes) / 1e3, "%.1f"),
                                    format_cell(static_cast<double>(l.output_bytes) / 1e3, "%.1f")};
    for (int k : ks) {
      std::string cell;
      for (const ShardProfile& s : l.shards)
        if (s.k == k) cell = format_cell(s.ms, "%.3f");
      row.push_back(cell);
    }
    rows.push_back(std::move(row));
  }
  std::vector<Align> align = {Align::right, Align::left, Align::left};
  align.resize(rows.front().size(), Align::right);
  std::fputs(format_text_table(rows, align).c_str(), stdout);
  if (p.links.empty()) return;
  std::vector<std::vector<std::string>> links = {{"from", "to", "hosts", "latency ms", "bandwidth MB/s"}};
  for (const LinkProfile& l : p.links)
    links.push_back({std::to_string(l.from), std::to_string(l.to), l.from_host + " - " + l.to_host,
                     format_cell(l.latency_ms, "%.3f"), format_cell(l.bandwidth_MBps, "%.1f")});
  std::fputs(format_text_table(links, {Align::right, Align::right, Align::left, Align::right, Align::right}).c_str(),
             stdout);
}

}  // namespace

int profile_command(const Args& args) {
  po::options_description options("cdcnn profile options");
  std::string model_name, out, ks_text = "2,3,4,6,8";
  ProfileOptions opts;
  runtime::LinkProbeOptions links;
  bool network = false;
  add_model_option(options, "model file or zoo name", &model_name);
  add_seed_option(options, "seed for zoo weights and the random input", &opts.seed);
  options.add_options()("out", po::value(&out)->required(), "profile file to write (HDF5)")(
      "k", po::value(&ks_text)->default_value(ks_text), "candidate split widths: time one shard of each linear layer")(
      "repeats", po::value(&opts.repeats)->default_value(opts.repeats), "timed runs per measurement (median kept)")(
      "network", po::bool_switch(&network),
      "under mpirun: also measure latency and bandwidth between every pair of ranks (rank 0 writes the file)")(
      "link-repeats", po::value(&links.repeats)->default_value(links.repeats), "round trips per message size")(
      "link-bytes", po::value(&links.large_bytes)->default_value(links.large_bytes),
      "size of the message that measures bandwidth");
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn profile --model NAME|FILE --out PROFILE.h5 [--network under mpirun]", options, vm))
    return 0;
  const auto ks = parse_number_list("--k", ks_text, 1, 1 << 20, "split widths");

  Profile profile;
  if (network) {
    mpi::Environment env;
    // Every rank takes part in the link measurement; only rank 0 loads the
    // model and times its layers, after the links (so no rank waits
    // spinning in MPI while rank 0 computes).
    std::string error;
    try {
      require(opts.repeats >= 1, "--repeats must be at least 1");
      require(links.repeats >= 1, "--link-repeats must be at least 1");
      if (env.rank() == 0) (void)open_model_option(model_name, opts.seed, "profile");
    } catch (const Error& e) {
      error = e.what();
    }
    if (mpi::min_over_ranks(error.empty() ? 1 : 0) == 0) {
      if (env.rank() == 0) throw Error(error);
      return 1;
    }
    profile.links = runtime::measure_links(links);
    if (env.rank() != 0) return 0;
  }
  const Model model = open_model_option(model_name, opts.seed, "profile");
  opts.ks = ks;
  const std::vector<LinkProfile> measured = std::move(profile.links);
  profile = profile_compute(model, opts);
  profile.links = measured;
  char host[256] = {};
  gethostname(host, sizeof host - 1);  // MPI_Get_processor_name needs MPI_Init, which --network alone does
  profile.host = host;
  save_profile(profile, out);
  print_profile(profile, ks);
  std::printf("profile: %s\n", out.c_str());
  return 0;
}

}  // namespace cdcnn::cli
