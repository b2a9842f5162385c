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
#   NODES        chains to measure, node counts (default "1 4")
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
#                ceiling (default: measured once by `gobcos bench ceiling`)
#   PORT_BASE    first RPC port (default 18900; P2P ports start 13000 above,
#                the nodes' /metrics 2000 above: the bench reads their CPU)
#   HALF_RATE    conflict shares also run at half the committed TPS just
#                measured, for DURATION (default "0": latency of a chain that
#                is not saturated; "" turns these runs off); their output in
#                OUT_DIR/runs/ has the run's timeline (bench --timeline)
#   DURATION     length of the half-rate runs (default 20s)
#   SEAL_MS      the chains' minSealIntervalMs (default 0, as `gobcos up`)
#   WINDOW       the chains' blockLimitWindow (default 100000, the most a
#                genesis allows: native txs, signed before the timed phase,
#                must be committed within that many blocks, and a run at a
#                fixed rate makes many small blocks)
#
# Needs jq and curl. Every chain's data stays in OUT_DIR (default a new
# temporary directory), with each run's full output in OUT_DIR/runs/.
set -euo pipefail

out=${1:-$(mktemp -d -t gobcos-matrix.XXXXXX)}
mkdir -p "$out/runs"
out=$(cd "$out" && pwd)
NODES=${NODES:-"1 4"}
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
SEAL_MS=${SEAL_MS:-0}
WINDOW=${WINDOW:-100000}

for tool in jq curl; do
	command -v "$tool" >/dev/null || { echo "matrix: $tool is needed" >&2; exit 1; }
done
if [[ -z ${GOBCOS:-} ]]; then
	GOBCOS=$out/gobcos
	echo "building gobcos into $GOBCOS"
	(cd "$(dirname "$0")/.." && go build -o "$GOBCOS" ./cmd/gobcos)
fi

if [[ -z ${VERIFY_ECDSA:-} || -z ${VERIFY_SM:-} ]]; then
	echo "measuring the verification ceiling (gobcos bench ceiling --time 3s)"
	"$GOBCOS" bench ceiling --time 3s | tee "$out/ceiling.txt"
	json=$(tail -n 1 "$out/ceiling.txt")
	VERIFY_ECDSA=${VERIFY_ECDSA:-$(jq -r '.costs[] | select(.suite=="ecdsa") | .verifiesPerSecPerCore' <<<"$json")}
	VERIFY_SM=${VERIFY_SM:-$(jq -r '.costs[] | select(.suite=="sm") | .verifiesPerSecPerCore' <<<"$json")}
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
# (and sets minSealIntervalMs to SEAL_MS, blockLimitWindow to WINDOW).
fund() {
	local admin g
	admin=$(jq -r '.orgs[0].admin' "$1/chain.json")
	for g in "$1"/genesis.json "$1"/node*/genesis.json; do
		jq --arg a "$admin" --argjson seal "$SEAL_MS" --argjson window "$WINDOW" \
			'.alloc = {($a): {"balance": "0x10000000000000000000000000"}} | .minSealIntervalMs = $seal | .blockLimitWindow = $window' "$g" >"$g.tmp"
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
# before it, to the results, prints a one-line summary and echoes the line.
record() {
	local line
	line=$(grep '^{' "$out/runs/$1.txt" | tail -n 1 || true)
	[[ -n $line ]] || return 0
	line=$(jq -c --arg load "$2" '. + {load: ($load | tonumber)}' <<<"$line")
	echo "$line" >>"$results"
	jq -r '"  \(.tps | floor) tx/s committed, \(.committed)/\(.txs), p50 \(.latencyMs.p50) ms, \(.ceilingFraction * 1000 | round / 10)% of the ceiling, node CPU \(.nodeCpu.usPerTx // "-") us/tx, speed probe \(.speedProbe.p50NsPerHash // "-") ns"' <<<"$line" >&2
	echo "$line"
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
		for workload in $WORKLOADS; do
			for conflict in $CONFLICTS; do
				name=$nodes-$suite-$workload-$conflict
				load=$(cut -d' ' -f1 /proc/loadavg)
				echo "$(date -u +%H:%M:%S) $name: $txs txs (load $load)"
				"$GOBCOS" bench --rpc "$rpcs" --key "$dir/orgs/org1/admin.key" --verify-rate "$verify" \
					--conns "$conns" --batch "$BATCH" --workload "$workload" --conflict "$conflict" --metrics "$metrics" \
					--txs "$txs" >"$out/runs/$name.txt" 2>&1 || echo "  bench failed, see $out/runs/$name.txt"
				line=$(record "$name" "$load")
				[[ -n $line && " $HALF_RATE " == *" $conflict "* ]] || continue
				rate=$(jq -r '.tps / 2 | floor' <<<"$line")
				((rate > 0)) || continue
				name=$name-half
				load=$(cut -d' ' -f1 /proc/loadavg)
				echo "$(date -u +%H:%M:%S) $name: $rate tx/s for $DURATION (load $load)"
				"$GOBCOS" bench --rpc "$rpcs" --key "$dir/orgs/org1/admin.key" --verify-rate "$verify" \
					--conns "$conns" --batch "$BATCH" --workload "$workload" --conflict "$conflict" --metrics "$metrics" \
					--rate "$rate" --duration "$DURATION" --timeline >"$out/runs/$name.txt" 2>&1 || echo "  bench failed, see $out/runs/$name.txt"
				record "$name" "$load" >/dev/null
			done
		done
		stop_chain
	done
done

echo
echo "| nodes | suite | workload | conflict | rate | txs signed | committed / sent | blocks | committed TPS | latency ms p50 / p95 / p99 | of ceiling | node CPU us/tx | errors | load | speed probe ns |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
jq -r '"| \(.nodes) | \(.suite) | \(.workload) | \(.conflict) | \(if .rate > 0 then .rate else "max" end) | \(.txs) | \(.committed) / \(.sent) | \(.blocks) | **\(.tps | round)** | \(.latencyMs.p50 | round) / \(.latencyMs.p95 | round) / \(.latencyMs.p99 | round) | \(.ceilingFraction * 1000 | round / 10)% | \(.nodeCpu.usPerTx // "-" | if type == "number" then round else . end) | \([.errors // {} | to_entries[] | "\(.value) \(.key)"] | if length == 0 then "0" else join(", ") end) | \(.load) | \(.speedProbe.p50NsPerHash // "-") |"' "$results"
echo
echo "results: $results"
