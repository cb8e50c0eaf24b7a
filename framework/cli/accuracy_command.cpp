// cdcnn accuracy: test-set accuracy when shards of one split layer are lost,
// offline on one device (framework/fault/shard_loss.hpp), with or without a
// code that covers the loss.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "codes/registry.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "fault/shard_loss.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"

namespace cdcnn::cli {

namespace {

std::string format_lost(const ShardMask& lost) {
  std::string s;
  for (std::size_t j = 0; j < lost.size(); ++j)
    if (lost[j]) s += (s.empty() ? "" : " ") + std::to_string(j);
  return s.empty() ? "-" : s;
}

int count_lost(const ShardMask& lost) { return static_cast<int>(std::count(lost.begin(), lost.end(), true)); }

}  // namespace

int accuracy_command(const Args& args) {
  po::options_description options("cdcnn accuracy options");
  add_model_option(options, "model file or zoo name (e.g. fmnist-cnn)");
  options.add_options()(
      "dataset", po::value<std::string>()->required(),
      "IDX dataset directory; its t10k test set is classified (e.g. /usr/share/datasets/fashion-mnist)")(
      "layer", po::value<std::string>()->required(), "the dense or conv layer whose shards are lost (its name)")(
      "k", po::value<int>()->required(), "row blocks the layer's output is split into, as the runtime splits it")(
      "code", po::value<std::string>()->default_value("uncoded"),
      "code of the split (uncoded: a lost block is zero-filled; a code decodes it when it can)")(
      "lose", po::value<std::vector<std::string>>()->composing(),
      "one loss pattern: the lost shards, e.g. '0,3' ('none': nothing lost); repeatable. Shards 0..k-1 "
      "of a systematic code are the data blocks, k..n-1 its parities or replicas")(
      "lose-data", po::value<std::string>(),
      "for each count J in this list (e.g. '0,1,2' or 'all' for 0..k), lose J of the k data shards "
      "(shards 0..k-1 of a systematic code): every one of the C(k,J) sets, or --sets of them")(
      "sets", po::value<int>()->default_value(10),
      "with --lose-data: when C(k,J) exceeds this, that many distinct sets drawn from --seed");
  add_seed_option(options, "seed for the drawn sets and for zoo weights");
  int threads = 1;
  add_threads_option(options, &threads);
  options.add_options()("limit", po::value<Index>()->default_value(0), "only the first N test images (0 = all)");
  add_csv_option(options, "write one row per loss pattern to FILE ('-': stdout, and no table)");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args,
             "usage: cdcnn accuracy --model NAME|FILE --dataset DIR --layer NAME --k K [--code SPEC]\n"
             "                      (--lose LIST ... | --lose-data J,J,...) [--sets N] [--limit N] [--threads N]\n"
             "                      [--csv FILE|-]\n"
             "Test-set accuracy when shards of one layer are lost, offline on one device (no MPI).\n"
             "The layer's output rows are cut into k blocks as the distributed runtime cuts them; shard j\n"
             "computes with the code's encoded weights. A lost shard means what it means to the runtime's\n"
             "master under --policy zero-fill: if the arrived shards are decodable, the code decodes the\n"
             "missing blocks; otherwise every block not received verbatim is zero-filled. Each pattern's\n"
             "accuracy is compared with plain (unsplit) inference on the same images.",
             options, vm))
    return 0;
  load_plugins(vm);
  const ComputeThreads compute(threads);
  const int k = vm["k"].as<int>(), max_sets = vm["sets"].as<int>();
  const Index limit = vm["limit"].as<Index>();
  const auto seed = vm["seed"].as<std::uint64_t>();
  require(k >= 1 && k <= Code::kMaxShards, "--k must be between 1 and ", Code::kMaxShards, ", got ", k);
  require(max_sets >= 1, "--sets must be at least 1, got ", max_sets);
  require(limit >= 0, "--limit must be at least 0, got ", limit);
  require(vm.count("lose") || vm.count("lose-data"), "give the loss patterns with --lose LIST or --lose-data J,...");

  const std::string code_spec = vm["code"].as<std::string>();
  std::shared_ptr<const Code> code;
  try {
    code = code_registry().make(code_spec, k);
  } catch (const Error& e) {
    throw Error(cat("--code: ", e.what()));
  }
  const int n = code->n();
  const std::string shard_range = cat("shards of ", code->spec(), " with k=", k, " are 0..", n - 1);

  std::vector<ShardMask> patterns;
  std::set<ShardMask> seen;
  auto add_pattern = [&](ShardMask lost) {
    if (seen.insert(lost).second) patterns.push_back(std::move(lost));
  };
  if (vm.count("lose"))
    for (const auto& text : vm["lose"].as<std::vector<std::string>>()) {
      ShardMask lost(static_cast<std::size_t>(n), false);
      for (int j : parse_number_list("--lose", text, 0, n - 1, shard_range)) lost[static_cast<std::size_t>(j)] = true;
      add_pattern(std::move(lost));
    }
  if (vm.count("lose-data")) {
    require(code->systematic(), "--lose-data: code ", code->spec(),
            " is not systematic (shards 0..k-1 are not the data blocks): give the shards with --lose");
    const std::string text = vm["lose-data"].as<std::string>();
    std::vector<int> counts;
    if (text == "all") {
      for (int j = 0; j <= k; ++j) counts.push_back(j);
    } else {
      counts = parse_number_list("--lose-data", text, 0, k, cat("counts of lost data shards, k=", k));
    }
    std::vector<int> data_shards(static_cast<std::size_t>(k));
    for (int i = 0; i < k; ++i) data_shards[static_cast<std::size_t>(i)] = i;
    for (int j : counts)
      for (auto& lost : loss_sets(n, data_shards, j, max_sets, seed + static_cast<std::uint64_t>(j)))
        add_pattern(std::move(lost));
  }

  // Open the CSV before the long part, so a bad path fails at once.
  const bool csv_to_stdout = vm.count("csv") && vm["csv"].as<std::string>() == "-";
  std::ofstream csv_file;
  if (vm.count("csv") && !csv_to_stdout) {
    csv_file.open(vm["csv"].as<std::string>());
    require(csv_file.good(), "--csv: cannot write '", vm["csv"].as<std::string>(), "'");
  }
  const std::string dir = vm["dataset"].as<std::string>();
  const Model model = open_model_option(vm["model"].as<std::string>(), seed, "accuracy");
  const ShardLoss loss(model, vm["layer"].as<std::string>(), code);
  const LabelledImages set = load_idx_dataset(dir, "t10k");
  require(model.input_shape() == Shape{1, set.rows, set.cols}, "--dataset: images are 1x", set.rows, "x", set.cols,
          " but model '", model.name(), "' takes ", to_string(model.input_shape()));
  const Index images = limit > 0 ? std::min(limit, set.count) : set.count;

  const auto start = std::chrono::steady_clock::now();
  LossAccuracy accuracy(loss, patterns);
  for (Index i = 0; i < images; ++i) accuracy.add(set.image(i, model.normalisation()), set.labels[static_cast<std::size_t>(i)]);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const LinearLayer& layer = loss.layer();
  const double m = static_cast<double>(loss.rows());
  const double plain = static_cast<double>(accuracy.plain_correct()) / static_cast<double>(images);
  if (!csv_to_stdout) {
    std::printf("model %s, layer '%s' (%s, %lld output rows) split k=%d (%lld rows per block), code %s (n=%d)\n",
                model.name().c_str(), layer.name().c_str(), std::string(layer.kind()).c_str(),
                static_cast<long long>(loss.rows()), k, static_cast<long long>(loss.rows_per_block()),
                code->spec().c_str(), n);
    std::printf("plain accuracy %.4f (%lld/%lld) on %s t10k\n", plain, static_cast<long long>(accuracy.plain_correct()),
                static_cast<long long>(images), dir.c_str());
    std::printf("fractions of the layer's output rows: lost (their data shard lost), decoded, zero-filled\n");
    std::printf("%-20s %6s %8s %7s %-10s %9s %8s %7s %12s\n", "lost shards", "lost", "decoded", "zeroed", "outcome",
                "accuracy", "drop", "agree", "max rel err");
    for (const auto& p : accuracy.patterns()) {
      const double acc = static_cast<double>(p.correct) / static_cast<double>(images);
      std::printf("%-20s %6.3f %8.3f %7.3f %-10s %9.4f %8.4f %7.4f %12.2e\n", format_lost(p.lost).c_str(),
                  p.lost_rows / m, p.decoded_rows / m, p.zeroed_rows / m, to_string(p.outcome), acc, plain - acc,
                  static_cast<double>(p.agree) / static_cast<double>(images), p.max_rel_error);
    }
    // Means over the sets of each size (the sets drawn by --lose-data).
    std::map<int, std::vector<const LossAccuracy::Pattern*>> by_count;
    for (const auto& p : accuracy.patterns()) by_count[count_lost(p.lost)].push_back(&p);
    if (by_count.size() < accuracy.patterns().size()) {
      std::printf("mean over the sets of each size:\n%-20s %6s %8s %7s %9s %8s\n", "shards lost (sets)", "lost",
                  "decoded", "zeroed", "accuracy", "drop");
      for (const auto& [count, ps] : by_count) {
        double lost = 0, decoded = 0, zeroed = 0, correct = 0;
        for (const auto* p : ps) {
          lost += p->lost_rows / m;
          decoded += p->decoded_rows / m;
          zeroed += p->zeroed_rows / m;
          correct += static_cast<double>(p->correct);
        }
        const double sets = static_cast<double>(ps.size()), acc = correct / sets / static_cast<double>(images);
        std::printf("%-20s %6.3f %8.3f %7.3f %9.4f %8.4f\n", cat(count, " (", ps.size(), ")").c_str(), lost / sets,
                    decoded / sets, zeroed / sets, acc, plain - acc);
      }
    }
    std::printf("%zu pattern(s) x %lld images in %.1f s\n", accuracy.patterns().size(), static_cast<long long>(images),
                seconds);
  }
  if (vm.count("csv")) {
    std::ostringstream out;
    out << "model,layer,kind,rows,k,rows_per_block,code,n,lost,lost_shards,lost_rows,lost_fraction,decoded_rows,"
           "decoded_fraction,zeroed_rows,zeroed_fraction,outcome,images,correct,accuracy,plain_correct,"
           "plain_accuracy,agree,max_rel_error\n";
    out.precision(6);
    for (const auto& p : accuracy.patterns())
      out << csv_field(model.name()) << ',' << csv_field(layer.name()) << ',' << layer.kind() << ',' << loss.rows()
          << ',' << k << ',' << loss.rows_per_block() << ',' << csv_field(code->spec()) << ',' << n << ','
          << format_lost(p.lost) << ',' << count_lost(p.lost) << ',' << p.lost_rows << ',' << p.lost_rows / m << ','
          << p.decoded_rows << ',' << p.decoded_rows / m << ',' << p.zeroed_rows << ',' << p.zeroed_rows / m << ','
          << to_string(p.outcome) << ',' << images << ',' << p.correct << ','
          << static_cast<double>(p.correct) / static_cast<double>(images) << ',' << accuracy.plain_correct() << ','
          << plain << ',' << p.agree << ',' << p.max_rel_error << '\n';
    if (csv_to_stdout) {
      std::fputs(out.str().c_str(), stdout);
    } else {
      csv_file << out.str();
      csv_file.close();
      require(!csv_file.fail(), "--csv: cannot write '", vm["csv"].as<std::string>(), "'");
      std::printf("wrote %s\n", vm["csv"].as<std::string>().c_str());
    }
  }
  return 0;
}

}  // namespace cdcnn::cli
