#!/usr/bin/env bash
# ecs-ls clusters: every page, batches of 100, API order, reused
# connections, the same bytes at any concurrency, formats and regions.

. "$(dirname "$0")/lib/test-lib.sh"
. "$(dirname "$0")/lib/ls-lib.sh"

start_local_aws
seed clusters 250 >/dev/null
listed=$(ecs_list_all list_clusters clusterArns)

front_ctl clear-log >/dev/null
out=$(ecs-ls clusters </dev/null)
is $? 0 "clusters exits 0"
is "$(wc -l <<<"$out")" 250 "250 records"
is "$(ops ListClusters)" 3 "three ListClusters pages"
is "$(sizes DescribeClusters clusters)" "[100,100,50]" \
	"DescribeClusters batches of 100, 100 and 50"
is "$(jq -r .clusterArn <<<"$out")" "$listed" "records in ListClusters order"
is "$(jq -r 'keys_unsorted[0] + "=" + .kind' <<<"$out" | sort -u)" \
	"kind=cluster" "kind is the first member of every record"
is "$(jq -r 'select(.clusterName == "cluster-007") | .status' <<<"$out")" \
	ACTIVE "records are the described AWS objects"
requests=$(front_log | wc -l)
used=$(conns)
[ "$used" -le 8 ] && [ "$used" -lt "$requests" ]
ok $? "$requests requests reuse $used connections (at most 8)"

front_ctl clear-log >/dev/null
one=$(ecs-ls clusters --max-concurrency 1 </dev/null)
is "$(conns)" 1 "--max-concurrency 1 uses one connection"
many=$(ecs-ls clusters --max-concurrency 16 </dev/null)
[ "$one" = "$out" ] && [ "$many" = "$out" ]
ok $? "the same bytes with --max-concurrency 1, 8 and 16"

front_ctl clear-log >/dev/null
out=$(ecs-ls clusters -c cluster-002 -c cluster-001 -c cluster-002 </dev/null)
is "$(jq -r .clusterName <<<"$out" | paste -sd ' ')" \
	"cluster-002 cluster-001" "--cluster names, in their order, once each"
is "$(ops ListClusters)/$(sizes DescribeClusters clusters)" "0/[2]" \
	"--cluster describes without listing"

err=$(ecs-ls clusters -c cluster-003 -c no-such-cluster </dev/null 2>&1 \
	>"$TEST_SCRATCH/out")
is $? 1 "a missing cluster exits 1"
like "$err" "DescribeClusters: arn:aws:ecs:[^ ]*cluster/no-such-cluster: MISSING" \
	"the failure names the ARN and the reason"
is "$(jq -r .clusterName "$TEST_SCRATCH/out")" cluster-003 \
	"the found cluster still prints"

table=$(COLUMNS=70 ecs-ls clusters -o table </dev/null)
is "$(wc -l <<<"$table")" 251 "table: a header and 250 rows"
like "$(head -1 <<<"$table")" '^NAME +STATUS +SERVICES +RUNNING +PENDING' \
	"table header"
unlike "$(head -1 <<<"$table")" REGION "no REGION column for one region"
[ "$(widest <<<"$table")" -le 70 ]
ok $? "table fits in COLUMNS=70"
tsv=$(ecs-ls clusters -o tsv </dev/null)
is "$(awk -F'\t' '{ print NF }' <<<"$tsv" | sort -u)" 9 \
	"tsv: eight columns and the ARN"
is "$(head -1 <<<"$tsv" | cut -f1,9)" \
	"$(head -1 <<<"$listed" | sed 's|.*/||')	$(head -1 <<<"$listed")" \
	"tsv starts with the name and ends with the ARN"

AWS_REGION=eu-west-1 seed clusters 2 --prefix west- >/dev/null
front_ctl clear-log >/dev/null
out=$(ecs-ls clusters -r eu-west-1,us-east-1 </dev/null)
is "$(wc -l <<<"$out")" 252 "two regions at once"
is "$(head -2 <<<"$out" | jq -r .clusterName | paste -sd ' ')" \
	"west-001 west-002" "regions in the order given"
table=$(ecs-ls clusters -o table -r us-east-1,eu-west-1 </dev/null)
like "$(head -1 <<<"$table")" 'REGION$' "a REGION column across regions"
like "$(tail -1 <<<"$table")" 'west-002 .* eu-west-1$' \
	"rows show their region"

AWS_REGION=eu-west-1 seed tasks west-001 2 >/dev/null
seed tasks east 1 >/dev/null
out=$(ecs-ls tasks -r eu-west-1,us-east-1 </dev/null)
is "$(jq -r '.taskArn | split(":")[3] + " " + (split("/")[1])' <<<"$out" |
	uniq -c | awk '{ print $2 ":" $3 ":" $1 }' | paste -sd ' ')" \
	"eu-west-1:west-001:2 us-east-1:east:1" "tasks of two regions at once"

done_testing
