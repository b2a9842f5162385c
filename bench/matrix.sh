#!/usr/bin/env bash
# Runs the benchmark matrix of BENCHMARKS.md ("The matrix"): for each chain
# (1 Solo node, 4 PBFT or Raft nodes) and crypto suite (ECDSA, SM), builds and funds
# a fresh chain, starts it, runs `gobcos bench` for every workload and
# conflict share, stops the chain, and finally prints one markdown table of
# the JSON summary lines. Everything runs on 127.0.0.1.
#
#   bash bench/matrix.sh [OUT_DIR]
#
# Environment (all optional):
#   GOBCOS       gobcos binary to use (default: built from this checkout)
#   NODES        chains to measure, node counts (default "1 4"; empty for
#                none, e.g. to measure geth alone)
#   CONSENSUS    engine of the chains of more than one node: pbft (default)
#                or raft; a single node runs Solo
#   SUITES       crypto suites (default "ecdsa sm")
#   WORKLOADS    workloads (default "transfer erc20 kv mixed")
#   CONFLICTS    conflict shares (default "0 0.5")
#   BATCH        txs per JSON-RPC batch, 0 for one tx per request (default 50)
#   TXS_1, TXS_4 txs per run on 1 and on 4 nodes (default 100000 and 60000;
#                SM runs use half, SM signing being slower): long enough
#                that a run's maximum rate is one the chain sustains, its
#                memtable flushes and compactions included, not a burst
#                that fits in the node's memory
#   VERIFY_ECDSA, VERIFY_SM  verifications per second per core for the
#                ceiling (default: the median of three `gobcos bench ceiling
#                --time 3s` runs, every core verifying at once; one run can
#                be off by a sixth here). The medians of one core alone are
#                printed too, and when the script measured the rates it
#                measures them again after the runs and prints both (the
#                cores' speed drifts here, by a quarter within minutes).
#   PORT_BASE    first RPC port (default 18900; P2P ports start 13000 above,
#                the nodes' /metrics 2000 above: the bench reads their CPU)
#   HALF_RATE    conflict shares also run at half the committed TPS just
#                measured, for DURATION (default "0": latency of a chain that
#                is not saturated; "" turns these runs off); their output in
#                OUT_DIR/runs/ has the run's timeline (bench --timeline)
#   DURATION     length of the half-rate runs (default 20s)
#   SEAL_MS      the chains' minSealIntervalMs (default: as `gobcos chain
#                build` writes it: 20)
#   WINDOW       the chains' blockLimitWindow (default 100000, the most a
#                genesis allows: native txs, signed before the timed phase,
#                must be committed within that many blocks, and a run at a
#                fixed rate makes many small blocks)
#   GETH         a geth binary: after the gobcos chains, the same workloads
#                and conflict shares (and half-rate runs) against `geth --dev`
#                on this machine, in the same table ("geth --dev" rows). The
#                bench speaks plain Ethereum JSON-RPC to it and funds its
#                accounts from geth's dev account (--funder-node). Build one
#                from the module proxy with
#                  GOBIN=$PWD go install github.com/ethereum/go-ethereum/cmd/geth@v1.16.7
#   TXS_GETH     txs per geth run (default 20000: geth --dev committed 1900
#                to 3100 tx/s here, so a run lasts about as long as a gobcos one)
#   GETH_PORT    geth's HTTP port (default 18750; WebSocket one above, its
#                engine API two above)
#
# Needs jq and curl. Every chain's data stays in OUT_DIR (default a new
# temporary directory), with each run's full output in OUT_DIR/runs/.
set -euo pipefail

out=${1:-$(mktemp -d -t gobcos-matrix.XXXXXX)}
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)
NODES=${NODES-"1 4"}
CONSENSUS=${CONSENSUS:-pbft}
case $CONSENSUS in
pbft | raft) ;;
*)
	echo "matrix: CONSENSUS must be pbft or raft, not $CONSENSUS" >&2
	exit 1
	;;
esac
SUITES=${SUITES:-"ecdsa sm"}
WORKLOADS=${WORKLOADS:-"transfer erc20 kv mixed"}
CONFLICTS=${CONFLICTS:-"0 0.5"}
BATCH=${BATCH:-50}
TXS_1=${TXS_1:-100000}
TXS_4=${TXS_4:-60000}
PORT_BASE=${PORT_BASE:-18900}
HALF_RATE=${HALF_RATE-0}
DURATION=${DURATION:-20s}
SEAL_MS=${SEAL_MS:-}
WINDOW=${WINDOW:-100000}
GETH=${GETH:-}
TXS_GETH=${TXS_GETH:-20000}
GETH_PORT=${GETH_PORT:-18750}

for tool in jq curl; do
	command -v "$tool" >/dev/null || { echo "matrix: $tool is needed" >&2; exit 1; }
done
if [[ -n $GETH ]] && ! "$GETH" version >/dev/null 2>&1; then
	echo "matrix: GETH=$GETH does not run (geth version)" >&2
	exit 1
fi
if [[ -z ${GOBCOS:-} ]]; then
	GOBCOS=$out/gobcos
	echo "building gobcos into $GOBCOS"
	(cd "$(dirname "$0")/.." && go build -o "$GOBCOS" ./cmd/gobcos)
fi

# measure_ceiling runs `gobcos bench ceiling --time 3s` three times into
# file $1.
measure_ceiling() {
	: >"$1"
	for i in 1 2 3; do
		"$GOBCOS" bench ceiling --time 3s | tee -a "$1"
	done
}
# median_rate prints the median of the three runs' field $3 of suite $2 in
# file $1.
median_rate() {
	grep '^{' "$1" | jq -s --arg s "$2" --arg f "$3" \
		'[.[].costs[] | select(.suite == $s) | .[$f] // 0] | sort | .[length / 2 | floor] | floor'
}
measured_ceiling=
if [[ -z ${VERIFY_ECDSA:-} || -z ${VERIFY_SM:-} ]]; then
	echo "measuring the verification ceiling (gobcos bench ceiling --time 3s, three times)"
	measure_ceiling "$out/ceiling.txt"
	measured_ceiling=1
	VERIFY_ECDSA=${VERIFY_ECDSA:-$(median_rate "$out/ceiling.txt" ecdsa verifiesPerSecPerCore)}
	VERIFY_SM=${VERIFY_SM:-$(median_rate "$out/ceiling.txt" sm verifiesPerSecPerCore)}
	echo "verify rates (medians, every core verifying at once): ecdsa $VERIFY_ECDSA, sm $VERIFY_SM a second per core"
	echo "one core alone (medians): ecdsa $(median_rate "$out/ceiling.txt" ecdsa verifiesPerSecOneCore), sm $(median_rate "$out/ceiling.txt" sm verifiesPerSecOneCore) a second"
fi

up_pid=
stop_chain() {
	if [[ -n $up_pid ]]; then
		kill -INT "$up_pid" 2>/dev/null || true
		wait "$up_pid" 2>/dev/null || true
		up_pid=
	fi
}
trap stop_chain EXIT

# fund gives org1's admin account a balance in every genesis of chain $1
# (and sets blockLimitWindow to WINDOW, minSealIntervalMs to SEAL_MS if set).
fund() {
	local admin g
	admin=$(jq -r '.orgs[0].admin' "$1/chain.json")
	for g in "$1"/genesis.json "$1"/node*/genesis.json; do
		jq --arg a "$admin" --arg seal "$SEAL_MS" --argjson window "$WINDOW" \
			'.alloc = {($a): {"balance": "0x10000000000000000000000000"}} | .blockLimitWindow = $window
			| if $seal != "" then .minSealIntervalMs = ($seal | tonumber) else . end' "$g" >"$g.tmp"
		mv "$g.tmp" "$g"
	done
}

# wait_rpc waits until every URL answers eth_blockNumber.
wait_rpc() {
	local url i
	for url in "$@"; do
		for i in $(seq 1 120); do
			if curl -sf -H 'Content-Type: application/json' \
				-d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' "$url" >/dev/null; then
				continue 2
			fi
			sleep 0.5
		done
		echo "matrix: $url did not answer within 60 s" >&2
		return 1
	done
}

results=$out/results.jsonl

# record appends run $1's JSON summary line, with the load average $2 seen
# before it and the chain's name $3 (default gobcos), to the results, prints
# a one-line summary and echoes the line.
record() {
	local line
	line=$(grep '^{' "$out/runs/$1.txt" | tail -n 1 || true)
	[[ -n $line ]] || return 0
	line=$(jq -c --arg load "$2" --arg chain "${3:-gobcos}" '. + {load: ($load | tonumber), chain: $chain}' <<<"$line")
	echo "$line" >>"$results"
	jq -r '"  \(.tps | floor) tx/s committed, \(.committed)/\(.txs), p50 \(.latencyMs.p50) ms, \(.ceilingFraction * 1000 | round / 10)% of the ceiling, node CPU \(.nodeCpu.usPerTx // "-") us/tx, speed probe \(.speedProbe.p50NsPerHash // "-") ns"' <<<"$line" >&2
	echo "$line"
}

# run_cells runs every workload and conflict share on the running chain:
# $3 txs at the maximum rate, then (for the HALF_RATE shares) half the TPS
# just committed for DURATION. $1 prefixes the runs' names, $2 names the
# chain in the results; the rest are the bench's arguments for the chain.
run_cells() {
	local prefix=$1 chain=$2 txs=$3 workload conflict name load line rate
	shift 3
	for workload in $WORKLOADS; do
		for conflict in $CONFLICTS; do
			name=$prefix-$workload-$conflict
			load=$(cut -d' ' -f1 /proc/loadavg)
			echo "$(date -u +%H:%M:%S) $name: $txs txs (load $load)"
			"$GOBCOS" bench "$@" --workload "$workload" --conflict "$conflict" \
				--txs "$txs" >"$out/runs/$name.txt" 2>&1 || echo "  bench failed, see $out/runs/$name.txt"
			line=$(record "$name" "$load" "$chain")
			[[ -n $line && " $HALF_RATE " == *" $conflict "* ]] || continue
			rate=$(jq -r '.tps / 2 | floor' <<<"$line")
			((rate > 0)) || continue
			name=$name-half
			load=$(cut -d' ' -f1 /proc/loadavg)
			echo "$(date -u +%H:%M:%S) $name: $rate tx/s for $DURATION (load $load)"
			"$GOBCOS" bench "$@" --workload "$workload" --conflict "$conflict" \
				--rate "$rate" --duration "$DURATION" --timeline >"$out/runs/$name.txt" 2>&1 || echo "  bench failed, see $out/runs/$name.txt"
			record "$name" "$load" "$chain" >/dev/null
		done
	done
}

: >"$results"
chain_no=0
for nodes in $NODES; do
	for suite in $SUITES; do
		rpc_port=$((PORT_BASE + chain_no * 10))
		p2p_port=$((rpc_port + 13000))
		metrics_port=$((rpc_port + 2000))
		chain_no=$((chain_no + 1))
		dir=$out/chain-$nodes-$suite
		consensus=$CONSENSUS
		((nodes == 1)) && consensus=solo
		"$GOBCOS" chain build --nodes "$nodes" --consensus "$consensus" --crypto "$suite" --dir "$dir" \
			--rpc-port "$rpc_port" --p2p-port "$p2p_port" --metrics-port "$metrics_port" >"$out/build-$nodes-$suite.log"
		fund "$dir"
		echo "$nodes-$suite: $consensus, minSealIntervalMs $(jq .minSealIntervalMs "$dir/genesis.json")"
		"$GOBCOS" up --dir "$dir" --explorer-port 0 >"$out/up-$nodes-$suite.log" 2>&1 &
		up_pid=$!
		urls=()
		for ((i = 0; i < nodes; i++)); do urls+=("http://127.0.0.1:$((rpc_port + i))"); done
		wait_rpc "${urls[@]}"
		rpcs=$(IFS=,; echo "${urls[*]}")
		metrics_addrs=()
		for ((i = 0; i < nodes; i++)); do metrics_addrs+=("127.0.0.1:$((metrics_port + i))"); done
		metrics=$(IFS=,; echo "${metrics_addrs[*]}")

		verify=$VERIFY_ECDSA
		[[ $suite == sm ]] && verify=$VERIFY_SM
		txs=$TXS_1
		((nodes > 1)) && txs=$TXS_4
		[[ $suite == sm ]] && txs=$((txs / 2))
		conns=4
		((nodes > 1)) && conns=2
		run_cells "$nodes-$suite" gobcos "$txs" --rpc "$rpcs" --key "$dir/orgs/org1/admin.key" --verify-rate "$verify" \
			--conns "$conns" --batch "$BATCH" --metrics "$metrics"
		stop_chain
	done
done

if [[ -n $GETH ]]; then
	# geth --dev seals a block whenever txs are pending, as the Solo engine
	# does. The larger txpool limits keep its default 5120 pending slots
	# from refusing the bench's burst.
	"$GETH" --dev --datadir "$out/geth-dev" --verbosity 2 \
		--http --http.addr 127.0.0.1 --http.port "$GETH_PORT" --http.api eth,net,web3 \
		--ws --ws.addr 127.0.0.1 --ws.port $((GETH_PORT + 1)) --ws.api eth,net,web3 \
		--authrpc.addr 127.0.0.1 --authrpc.port $((GETH_PORT + 2)) --port 0 --nodiscover --maxpeers 0 \
		--txpool.globalslots 100000 --txpool.accountslots 64 --txpool.globalqueue 100000 --txpool.accountqueue 64 \
		>"$out/geth.log" 2>&1 &
	up_pid=$!
	wait_rpc "http://127.0.0.1:$GETH_PORT"
	"$GETH" version | sed -n 's/^Version: /geth /p'
	run_cells geth geth "$TXS_GETH" --rpc "http://127.0.0.1:$GETH_PORT" --ws "ws://127.0.0.1:$((GETH_PORT + 1))" \
		--funder-node --nodes 1 --verify-rate "$VERIFY_ECDSA" --conns 4 --batch "$BATCH"
	stop_chain
fi

if [[ -n $measured_ceiling ]]; then
	# The cores' speed drifts on a shared machine: the same measurement
	# after the runs shows how far, against the rates the fractions use.
	echo "measuring the verification ceiling again after the runs"
	measure_ceiling "$out/ceiling-after.txt"
	echo "verify rates after the runs (medians, every core verifying at once): ecdsa $(median_rate "$out/ceiling-after.txt" ecdsa verifiesPerSecPerCore), sm $(median_rate "$out/ceiling-after.txt" sm verifiesPerSecPerCore) a second per core; the fractions of the ceiling use those before the runs (ecdsa $VERIFY_ECDSA, sm $VERIFY_SM)"
fi

echo
echo "| nodes | suite | workload | conflict | rate | txs signed | committed / sent | blocks | committed TPS | latency ms p50 / p95 / p99 | of ceiling | node CPU us/tx | errors | load | speed probe ns |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
jq -r '"| \(if .chain == "geth" then "geth --dev" else .nodes end) | \(.suite) | \(.workload) | \(.conflict) | \(if .rate > 0 then .rate else "max" end) | \(.txs) | \(.committed) / \(.sent) | \(.blocks) | **\(.tps | round)** | \(.latencyMs.p50 | round) / \(.latencyMs.p95 | round) / \(.latencyMs.p99 | round) | \(.ceilingFraction * 1000 | round / 10)% | \(.nodeCpu.usPerTx // "-" | if type == "number" then round else . end) | \([.errors // {} | to_entries[] | "\(.value) \(.key)"] | if length == 0 then "0" else join(", ") end) | \(.load) | \(.speedProbe.p50NsPerHash // "-") |"' "$results"
echo
echo "results: $results"
