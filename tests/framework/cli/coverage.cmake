# cdcnn coverage (framework/cli/coverage_command.cpp): its output on a small
# plan of the zoo's mlp, and one line for every bad flag or plan.
# Included from CMakeLists.txt (uses cdcnn_cli_error_test).
set(coverage_plan ${CMAKE_CURRENT_SOURCE_DIR}/coverage.plan)
add_test(NAME cli.coverage_prints_both_curves COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${coverage_plan} --model mlp)
set_tests_properties(cli.coverage_prints_both_curves PROPERTIES LABELS cli TIMEOUT 60 PASS_REGULAR_EXPRESSION
  "1 +50\\.0% 2/4 +rank 4: replica of 1 -> covers 1 +75\\.0% 3/4 +rank 4: parity of fc1,fc2 -> covers 1,2.*full coverage: 2MR 3, CDC\\+2MR 2")
add_test(NAME cli.coverage_prints_csv COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${coverage_plan} --csv - --max-extra 1)
set_tests_properties(cli.coverage_prints_csv PROPERTIES LABELS cli TIMEOUT 60 PASS_REGULAR_EXPRESSION
  "^extra,devices_2mr,[a-z_,0-9]*\n0,3,0,0\\.000000,0,,3,0,0\\.000000,0,\n1,4,2,0\\.500000,1,rank 4: replica of 1 -> covers 1,4,3,0\\.750000,2,\"rank 4: parity of fc1,fc2 -> covers 1,2\"\n$")
add_test(NAME cli.help_coverage COMMAND $<TARGET_FILE:cdcnn> coverage --help)
set_tests_properties(cli.help_coverage PROPERTIES LABELS cli TIMEOUT 60 PASS_REGULAR_EXPRESSION "usage: cdcnn coverage")

file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_no_ranks.plan "fc1 2 uncoded\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_rank_count.plan "fc1 2 sum 1 2\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_empty.plan "# nothing\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_bad_line.plan "fc1 two uncoded 1 2\n")
# A plan placing the input (`input RANK`): the input device can fail and is
# only replicated; `cdcnn run` places it (a rank that does not exist is one
# error), a bad line is one error.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_input.plan "fc1 2 uncoded 1 2\ninput 3\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/coverage_bad_input.plan "fc1 2 uncoded 1 2\ninput\n")
add_test(NAME cli.coverage_counts_the_input_device
  COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_input.plan --model mlp)
set_tests_properties(cli.coverage_counts_the_input_device PROPERTIES LABELS cli TIMEOUT 60 PASS_REGULAR_EXPRESSION
  "plan devices \\(3\\): 1,2,3.*rank 5: replica of 3 -> covers 3.*full coverage: 2MR 3, CDC\\+2MR 2")
cdcnn_cli_error_test(coverage_bad_input "coverage_bad_input.plan:2: expected 'input RANK \\[RANK...\\]'"
                     coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_bad_input.plan)
cdcnn_run_error_test(placed_input "coverage_input.plan:2: rank 3 does not exist \\(ranks are 0..2\\)"
                     --model mlp --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_input.plan)

cdcnn_cli_error_test(coverage_without_plan "option '--plan' is required" coverage)
cdcnn_cli_error_test(coverage_missing_plan "--plan: cannot read 'nowhere.plan'" coverage --plan nowhere.plan)
cdcnn_cli_error_test(coverage_empty_plan "coverage_empty.plan: the plan splits no layer"
                     coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_empty.plan)
cdcnn_cli_error_test(coverage_bad_line "coverage_bad_line.plan:1: k must be an integer, got 'two'"
                     coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_bad_line.plan)
cdcnn_cli_error_test(coverage_no_ranks "coverage_no_ranks.plan:1: layer 'fc1' lists no ranks. coverage needs the rank of each of uncoded's 2 shards"
                     coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_no_ranks.plan)
cdcnn_cli_error_test(coverage_rank_count "coverage_rank_count.plan:1: sum with k = 2 has 3 shards, but 2 ranks are listed"
                     coverage --plan ${CMAKE_CURRENT_BINARY_DIR}/coverage_rank_count.plan)
cdcnn_cli_error_test(coverage_unknown_layer "coverage.plan:3: model 'fmnist-cnn' has no layer 'fc1'"
                     coverage --plan ${coverage_plan} --model fmnist-cnn)
cdcnn_cli_error_test(coverage_unknown_model "--model: 'nope' is neither a model file nor a zoo model"
                     coverage --plan ${coverage_plan} --model nope)
cdcnn_cli_error_test(coverage_negative_max_extra "--max-extra must be at least 0, got -1"
                     coverage --plan ${coverage_plan} --max-extra -1)
cdcnn_cli_error_test(coverage_huge_max_extra "--max-extra must be at most 1000, got 5000"
                     coverage --plan ${coverage_plan} --max-extra 5000)
cdcnn_cli_error_test(coverage_text_max_extra "--max-extra.* is invalid"
                     coverage --plan ${coverage_plan} --max-extra many)
cdcnn_cli_error_test(coverage_unknown_parity_code "--parity-code: unknown code 'turbo' \\(known: "
                     coverage --plan ${coverage_plan} --parity-code turbo)
cdcnn_cli_error_test(coverage_unwritable_csv "--csv: cannot write '/no_such_dir/c.csv'"
                     coverage --plan ${coverage_plan} --csv /no_such_dir/c.csv)

# The committed Figure 3 (experiments/results/figure3): three of its plans,
# the paper's layouts with the input device, give the numbers its README
# reports (the paper's end points on (a) and (b); VGG16's data-parallel
# blocks start covered).
set(figure3 ${PROJECT_SOURCE_DIR}/experiments/results/figure3/plans)
add_test(NAME cli.coverage_figure3_alexnet COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${figure3}/alexnet-5.plan --model alexnet)
set_tests_properties(cli.coverage_figure3_alexnet PROPERTIES LABELS cli TIMEOUT 60
  PASS_REGULAR_EXPRESSION "plan devices \\(5\\): 1,2,3,4,5\n.*full coverage: 2MR 5, CDC\\+2MR 4\n\nmemory by rank.*\n +5 +0\\.0 +83\\.5 [^\n]* 116\n$")
add_test(NAME cli.coverage_figure3_action COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${figure3}/action-8.plan)
set_tests_properties(cli.coverage_figure3_action PROPERTIES LABELS cli TIMEOUT 60
  PASS_REGULAR_EXPRESSION "full coverage: 2MR 8, CDC\\+2MR 6\n$")
# With the per-rank memory estimate against a Pi 3's 1 GB (hpc/README.md, "Memory per model").
add_test(NAME cli.coverage_figure3_vgg16 COMMAND $<TARGET_FILE:cdcnn> coverage --plan ${figure3}/vgg16-8.plan --model vgg16
  --memory-mb 1000)
set_tests_properties(cli.coverage_figure3_vgg16 PROPERTIES LABELS cli TIMEOUT 60
  PASS_REGULAR_EXPRESSION "\n0 +37\\.5% 3/8 .*full coverage: 2MR 5, CDC\\+2MR 4\n\nmemory by rank.*\n +6 +0\\.0 +205\\.5 .*every rank fits --memory-mb 1000\n$")
