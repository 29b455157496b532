#!/usr/bin/env bash
# DPAA2 data-path benchmark (issue 7, "Also measure"; not a test): Debian's fsl-dpaa2-eth
# on the RDB dtb with a DPL of two DPNIs connected back to back, eth1 in its own network
# namespace -- the set-up of tools/tests/dpaa2.rs -- on the JIT (--smp 2). It measures
#   1. an adaptive flood ping from eth0 to eth1 (busybox `ping -q -A -c PINGS`: the next
#      request leaves as soon as the reply is back; busybox ping has no -f), and
#   2. a bulk TCP transfer of MIB MiB of zeros with busybox nc (eth0 -> eth1), whose MD5
#      the receiver prints and this script compares with the host's,
# each timed twice: in guest time (/proc/uptime, 10 ms resolution; lsemu's virtual time,
# one nanosecond per instruction of each PE) and in host wall time (the moments this
# script reads the guest's markers on the console). Packets are counted from eth0's
# tx_packets + rx_packets (each of them crosses both DPNIs once). The host CPU seconds
# (user + system) lsemu spent in each phase are printed too: on a loaded host they say
# more than wall time.
# With PEERS=udp the same is measured between two lsemu instances instead, each with one
# DPNI behind a DPMAC, linked by `--net dpmac.1=udp:...` (as the test
# dpaa2_eth_two_instances_over_udp): A (10.0.1.1, measured) floods and sends to B
# (10.0.1.2), which returns the MD5 of what it received over a second connection; both
# machines share the host's cores and idle time is paced to the host clock there; the
# host CPU time is the measured machine's (A's) alone, and A's guest time includes the
# idle time it spends waiting for B (paced to the host clock), so it is no longer a
# deterministic figure.
# With TESTPMD=1 it measures DPDK instead: Debian's dpdk-testpmd 22.11 on the VFIO child
# container of tools/tests/dpdk.rs (two DPNIs back to back; main lcore on CPU 0, one
# forwarding lcore on CPU 1) in io forwarding after --tx-first (32 packets of 64 bytes per
# port, bounced back and forth), for FWD_SECS (default 12) guest seconds. testpmd prints its
# port statistics every guest second (--stats-period 1); the script takes testpmd's own
# "Throughput (since last show)" figures (Rx-pps, Rx-bps of both ports, over intervals
# testpmd times with clock_gettime: guest time) of every interval after the first two
# (start-up), and times the same intervals on the host (wall time when it reads each
# statistics block, host CPU of lsemu), with packets and bytes from the cumulative
# RX-packets / RX-bytes counters of the blocks. Needs test-suites/vfio-fsl-mc/fetch.sh and
# test-suites/dpdk/fetch.sh.
# Environment: PEERS (unset: back to back in one machine; udp: two machines), PINGS
# (default 5000), MIB (default 64), RUNS (default 1), ENGINE (default jit), OUT (work
# directory), MAX_INSNS (instruction limit per run, default 4e11). Needs the corpus
# (test-suites/fetch-corpus.sh) and the modules of test-suites/fsl-mc-dpio/fetch.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${LSEMU_CORPUS:-$HOME/.cache/lsemu/corpus}
mods=${LSEMU_DPAA2_MODULES:-$HOME/.cache/lsemu/dpaa2-modules}
out=${OUT:-${TMPDIR:-/tmp}/lsemu-bench-dpaa2}
lsemu="$repo/target/release/lsemu"
pings=${PINGS:-5000}
mib=${MIB:-64}
insns=${MAX_INSNS:-400000000000}
modules="libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth"
[ -x "$lsemu" ] || { echo "bench-dpaa2: build first: cargo build --release -p lsemu" >&2; exit 1; }
for f in Image busybox fsl-ls2088a-rdb.dtb; do
    [ -f "$corpus/$f" ] || { echo "bench-dpaa2: $corpus/$f missing (test-suites/fetch-corpus.sh)" >&2; exit 1; }
done
mkdir -p "$out"
# TESTPMD=1: DPDK's testpmd in io forwarding between the two DPNIs of the VFIO child container.
testpmd_bench() {
    local vmods=${LSEMU_VFIO_MODULES:-$HOME/.cache/lsemu/vfio-modules} dpdk=${LSEMU_DPDK:-$HOME/.cache/lsemu/dpdk}
    local secs=${FWD_SECS:-12} m f
    for m in vfio vfio_iommu_type1 vfio-fsl-mc; do
        [ -f "$vmods/$m.ko" ] || { echo "bench-dpaa2: $vmods/$m.ko missing (test-suites/vfio-fsl-mc/fetch.sh)" >&2; exit 1; }
    done
    [ -f "$dpdk/.done" ] || { echo "bench-dpaa2: $dpdk incomplete (test-suites/dpdk/fetch.sh)" >&2; exit 1; }
    cat > "$out/init-testpmd.sh" <<INIT
for m in vfio vfio_iommu_type1 vfio-fsl-mc; do insmod /lib/\$m.ko || echo "bench: insmod \$m failed"; done
echo dprc.3 > /sys/bus/fsl-mc/drivers/fsl_mc_dprc/unbind
echo vfio-fsl-mc > /sys/bus/fsl-mc/devices/dprc.3/driver_override
echo dprc.3 > /sys/bus/fsl-mc/drivers/vfio-fsl-mc/bind
echo 64 > /proc/sys/vm/nr_hugepages
mkdir -p /dev/hugepages /var/run /tmp
chmod 755 / /lib /lib/aarch64-linux-gnu
mount -t hugetlbfs nodev /dev/hugepages
L=/lib/aarch64-linux-gnu
export LD_LIBRARY_PATH=\$L
DPRC=dprc.3 /lib/ld-linux-aarch64.so.1 /usr/bin/dpdk-testpmd -l 0-1 -n 1 --no-telemetry --iova-mode=va \\
  -d \$L/librte_bus_fslmc.so.23 -d \$L/librte_mempool_ring.so.23 -d \$L/librte_mempool_dpaa2.so.23 -d \$L/librte_net_dpaa2.so.23 -- \\
  --forward-mode=io --auto-start --tx-first --no-flush-rx --stats-period 1 --nb-cores=1 --total-num-mbufs=2048 </dev/null &
P=\$!
sleep $secs
kill -INT \$P
wait \$P
echo "BENCH testpmd-exit \$?"
INIT
    local targs=(--add-file "/usr/bin/dpdk-testpmd=$dpdk/usr/bin/dpdk-testpmd" --add-file "/lib/ld-linux-aarch64.so.1=$dpdk/lib/ld-linux-aarch64.so.1")
    for m in vfio vfio_iommu_type1 vfio-fsl-mc; do targs+=(--add-file "/lib/$m.ko=$vmods/$m.ko"); done
    for f in "$dpdk"/lib/aarch64-linux-gnu/*; do targs+=(--add-file "/lib/aarch64-linux-gnu/${f##*/}=$f"); done
    echo "lsemu DPDK testpmd benchmark (io forwarding, two DPNIs back to back, 64-byte packets): engine ${ENGINE:-jit}, --smp 2, $secs s of guest time; $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    local r
    for r in $(seq 1 "${RUNS:-1}"); do
        local log="$out/testpmd$r.log" line pid port=0 t0 tab="$out/testpmd$r.tab"
        : > "$log"; : > "$tab"
        t0=$EPOCHREALTIME
        exec {fd}< <(exec "$lsemu" boot --max-insns "$insns" --engine "${ENGINE:-jit}" --smp 2 --memory 1G --mc-version 10.32.0 \
            --kernel "$corpus/Image" --dtb "$corpus/fsl-ls2088a-rdb.dtb" --dpl "$repo/test-suites/dpdk/dpl.dts" --busybox "$corpus/busybox" \
            --init-script "$out/init-testpmd.sh" "${targs[@]}" < /dev/null 2>&1)
        pid=$!
        # One row per statistics block: host time, host CPU ticks, then per port
        # RX-packets RX-bytes Rx-pps Rx-bps (testpmd's figures).
        local row=""
        while IFS= read -r line; do
            printf '%s\n' "$line" >> "$log"
            case $line in
            *"Port statistics ===="*)
                [ -n "$row" ] && echo "$row" >> "$tab"
                row="$EPOCHREALTIME $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2> /dev/null || echo 0)";;
            *"NIC statistics for port "*) port=${line##*port }; port=${port%% *};;
            *"RX-packets:"*"RX-bytes:"*) [ -n "$row" ] && row="$row $(awk '{ print $2, $6 }' <<< "$line")";;
            *"Rx-pps:"*) [ -n "$row" ] && row="$row $(awk '{ print $2, $4 }' <<< "$line")";;
            esac
        done <&$fd
        exec {fd}<&-
        [ -n "$row" ] && echo "$row" >> "$tab"
        wait "$pid" || true
        grep -q "BENCH testpmd-exit 0" "$log" || { echo "run $r: testpmd did not finish (see $log)"; continue; }
        awk -v run="$r" -v tk="$(getconf CLK_TCK)" -v tot="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" \
            -v fwd="$(grep -A1 'Accumulated forward statistics' "$log" | awk '/RX-packets/ { print $2 }')" '
            NF == 10 { n++; h[n] = $1; c[n] = $2; p[n] = $3 + $7; b[n] = $4 + $8; pps[n] = $5 + $9; bps[n] = $6 + $10 }
            END {
                if (n < 4) { printf "run %d: only %d statistics blocks\n", run, n; exit }
                # Block 1 shows the --tx-first burst, block 2 the first partial second.
                first = 3; m = 0; gp = 0; gb = 0; lo = 1e18; hi = 0
                for (i = first + 1; i <= n; i++) { m++; gp += pps[i]; gb += bps[i]; if (pps[i] < lo) lo = pps[i]; if (pps[i] > hi) hi = pps[i] }
                dp = p[n] - p[first]; db = b[n] - b[first]; hw = h[n] - h[first]; hc = (c[n] - c[first]) / tk
                printf "run %d (%.1f s wall in all; %s packets forwarded in all, both ports)\n", run, tot, fwd
                printf "  %d one-second intervals, %d packets received by the two ports (%d bytes)\n", m, dp, db
                printf "    guest time (testpmd Throughput): %9.0f packets/s (%0.f-%0.f) %8.1f Mbit/s\n", gp / m, lo, hi, gb / m / 1e6
                printf "    host wall  %7.2f s:            %9.0f packets/s %8.1f Mbit/s\n", hw, dp / hw, db * 8 / hw / 1e6
                if (hc > 0) printf "    host CPU   %7.2f s:            %9.0f packets/s %8.1f Mbit/s\n", hc, dp / hc, db * 8 / hc / 1e6
            }' "$tab"
    done
    echo "logs in $out"
}
if [ "${TESTPMD:-}" = 1 ]; then testpmd_bench; exit; fi
for m in $modules; do
    [ -f "$mods/$m.ko" ] || { echo "bench-dpaa2: $mods/$m.ko missing (test-suites/fsl-mc-dpio/fetch.sh)" >&2; exit 1; }
done

cp "$repo/test-suites/fsl-mc-dpio/dpl-back-to-back.dts" "$out/dpl.dts"

cat > "$out/init.sh" <<INIT
for m in $modules; do insmod /lib/\$m.ko || echo "bench: insmod \$m failed"; done
ip link set eth0 up
ip addr add 10.0.0.1/24 dev eth0
unshare -n sleep 100000 &
NS=\$!
sleep 1
ip link set eth1 netns \$NS
nsenter -t \$NS -n sh -c 'ip link set lo up; ip link set eth1 up; ip addr add 10.0.0.2/24 dev eth1'
sleep 2
ping -c 2 -W 2 10.0.0.2 > /dev/null
pk() { echo \$((\$(cat /sys/class/net/eth0/statistics/tx_packets) + \$(cat /sys/class/net/eth0/statistics/rx_packets))); }
echo "BENCH ping-start \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
ping -q -A -c $pings -W 5 10.0.0.2
echo "BENCH ping-end \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
nsenter -t \$NS -n nc -l -p 5000 -e sh -c 'md5sum > /tmp/rsum' &
L=\$!
sleep 1
echo "BENCH tcp-start \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
nc 10.0.0.2 5000 -e sh -c 'dd if=/dev/zero bs=65536 count=$((mib * 16)) 2> /dev/null'
wait \$L
echo "BENCH tcp-end \$(cut -d' ' -f1 /proc/uptime) \$(pk) \$(cut -d' ' -f1 /tmp/rsum)"
INIT

if [ "${PEERS:-}" = udp ]; then
    for side in 1 2; do
        sed -e 's/obj_set@dpni { type = "dpni"; ids = <0 1>; };/obj_set@dpni { type = "dpni"; ids = <0>; }; obj_set@dpmac { type = "dpmac"; ids = <1>; };/' \
            -e "/dpni@1 {/d" -e "s/0x00 0x00 0x01>/0x00 0x01 0x0$side>/" \
            -e 's/endpoint2 = "dpni@1"/endpoint2 = "dpmac@1"/' -e 's/^\t\tdpbp@0 { }; dpbp@1 { };/\t\tdpbp@0 { }; dpbp@1 { }; dpmac@1 { };/' \
            "$out/dpl.dts" > "$out/dpl$side.dts"
    done
    cat > "$out/init.sh" <<INIT
for m in $modules; do insmod /lib/\$m.ko || echo "bench: insmod \$m failed"; done
ip link set eth0 up
ip addr add 10.0.1.1/24 dev eth0
i=0; until ping -c 1 -W 1 10.0.1.2 > /dev/null; do i=\$((i+1)); [ \$i -ge 300 ] && break; done
pk() { echo \$((\$(cat /sys/class/net/eth0/statistics/tx_packets) + \$(cat /sys/class/net/eth0/statistics/rx_packets))); }
echo "BENCH ping-start \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
ping -q -A -c $pings -W 5 10.0.1.2
echo "BENCH ping-end \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
nc -l -p 5001 -e sh -c 'cat > /tmp/rsum' &
R=\$!
sleep 1
echo "BENCH tcp-start \$(cut -d' ' -f1 /proc/uptime) \$(pk)"
i=0; until nc 10.0.1.2 5000 -e sh -c 'dd if=/dev/zero bs=65536 count=$((mib * 16)) 2> /dev/null'; do i=\$((i+1)); [ \$i -ge 60 ] && break; sleep 1; done
wait \$R
echo "BENCH tcp-end \$(cut -d' ' -f1 /proc/uptime) \$(pk) \$(cut -d' ' -f1 /tmp/rsum)"
INIT
    cat > "$out/init-peer.sh" <<INIT
for m in $modules; do insmod /lib/\$m.ko || echo "bench: insmod \$m failed"; done
ip link set eth0 up
ip addr add 10.0.1.2/24 dev eth0
timeout 900 nc -l -p 5000 -e sh -c 'md5sum > /tmp/rsum'
sleep 1
i=0; until nc 10.0.1.1 5001 -e cat /tmp/rsum; do i=\$((i+1)); [ \$i -ge 30 ] && break; sleep 1; done
INIT
fi

want=$(head -c $((mib * 1048576)) /dev/zero | md5sum | cut -d' ' -f1)
args=()
for m in $modules; do args+=(--add-file "/lib/$m.ko=$mods/$m.ko"); done

# One run: the markers' guest times and packet counts, and the host times they appear.
run() {
    local log="$out/run$1.log" line t0 end
    declare -A host guest pk cpu
    local sum="" pid
    : > "$log"
    local dpl="$out/dpl.dts" net=() peer=""
    if [ "${PEERS:-}" = udp ]; then
        local pa=$((20000 + RANDOM % 20000)) pb
        pb=$((pa + 1))
        dpl="$out/dpl1.dts"
        net=(--net "dpmac.1=udp:127.0.0.1:$pa,127.0.0.1:$pb")
        "$lsemu" boot --max-insns "$insns" --engine "${ENGINE:-jit}" --smp 2 --kernel "$corpus/Image" \
            --dtb "$corpus/fsl-ls2088a-rdb.dtb" --dpl "$out/dpl2.dts" --busybox "$corpus/busybox" \
            --init-script "$out/init-peer.sh" "${args[@]}" --net "dpmac.1=udp:127.0.0.1:$pb,127.0.0.1:$pa" \
            < /dev/null > "$out/peer$1.log" 2>&1 &
        peer=$!
    fi
    t0=$EPOCHREALTIME
    # lsemu is the process substitution itself (exec), so $! is its pid.
    exec {fd}< <(exec "$lsemu" boot --max-insns "$insns" --engine "${ENGINE:-jit}" --smp 2 --kernel "$corpus/Image" \
        --dtb "$corpus/fsl-ls2088a-rdb.dtb" --dpl "$dpl" --busybox "$corpus/busybox" \
        --init-script "$out/init.sh" "${args[@]}" "${net[@]}" < /dev/null 2>&1)
    pid=$!
    while IFS= read -r line; do
        printf '%s\n' "$line" >> "$log"
        if [[ $line =~ ^BENCH\ ([a-z-]+)\ ([0-9.]+)\ ([0-9]+)\ ?([0-9a-f]*) ]]; then
            host[${BASH_REMATCH[1]}]=$EPOCHREALTIME
            cpu[${BASH_REMATCH[1]}]=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2> /dev/null || echo 0)
            guest[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
            pk[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]}
            [ -n "${BASH_REMATCH[4]}" ] && sum=${BASH_REMATCH[4]}
        fi
    done <&$fd
    exec {fd}<&-
    wait "$pid" || true
    [ -z "$peer" ] || wait "$peer" || true
    end=$EPOCHREALTIME
    if [ -z "${host[tcp-end]:-}" ] || [ -z "${host[ping-end]:-}" ]; then
        echo "run $1: incomplete (see $log)"; return
    fi
    local loss
    loss=$(grep -o "$pings packets transmitted, [0-9]* packets received, [0-9]*% packet loss" "$log" || echo "ping statistics missing")
    awk -v n="$pings" -v mib="$mib" -v w0="$t0" -v w1="$end" \
        -v gp0="${guest[ping-start]}" -v gp1="${guest[ping-end]}" -v hp0="${host[ping-start]}" -v hp1="${host[ping-end]}" \
        -v pp0="${pk[ping-start]}" -v pp1="${pk[ping-end]}" \
        -v gt0="${guest[tcp-start]}" -v gt1="${guest[tcp-end]}" -v ht0="${host[tcp-start]}" -v ht1="${host[tcp-end]}" \
        -v pt0="${pk[tcp-start]}" -v pt1="${pk[tcp-end]}" -v tk="$(getconf CLK_TCK)" \
        -v cp0="${cpu[ping-start]}" -v cp1="${cpu[ping-end]}" -v ct0="${cpu[tcp-start]}" -v ct1="${cpu[tcp-end]}" -v run="$1" -v loss="$loss" \
        -v md5="$([ "$sum" = "$want" ] && echo "MD5 ok" || echo "MD5 MISMATCH ($sum, want $want)")" 'BEGIN {
        gp = gp1 - gp0; hp = hp1 - hp0; gt = gt1 - gt0; ht = ht1 - ht0
        tot = w1 - w0; np = pp1 - pp0; nt = pt1 - pt0; bits = mib * 1048576 * 8
        printf "run %d (%.1f s wall in all)\n", run, tot
        printf "  flood ping: %d requests, %d packets (%s)\n", n, np, loss
        printf "    guest time %7.2f s: %9.0f packets/s %9.0f round trips/s\n", gp, np / gp, n / gp
        printf "    host wall  %7.2f s: %9.0f packets/s %9.0f round trips/s\n", hp, np / hp, n / hp
        cp = (cp1 - cp0) / tk; ct = (ct1 - ct0) / tk
        if (cp > 0) printf "    host CPU   %7.2f s: %9.0f packets/s %9.0f round trips/s\n", cp, np / cp, n / cp
        printf "  TCP: %d MiB, %d packets, %s\n", mib, nt, md5
        printf "    guest time %7.2f s: %9.1f Mbit/s %9.0f packets/s\n", gt, bits / gt / 1e6, nt / gt
        printf "    host wall  %7.2f s: %9.1f Mbit/s %9.0f packets/s\n", ht, bits / ht / 1e6, nt / ht
        if (ct > 0) printf "    host CPU   %7.2f s: %9.1f Mbit/s %9.0f packets/s\n", ct, bits / ct / 1e6, nt / ct
    }'
}

echo "lsemu DPAA2 benchmark ($([ "${PEERS:-}" = udp ] && echo "two lsemu instances over UDP" || echo "two DPNIs back to back in one machine")): engine ${ENGINE:-jit}, --smp 2, $pings flood pings, $mib MiB TCP; $(date -u '+%Y-%m-%d %H:%M UTC')"
for r in $(seq 1 "${RUNS:-1}"); do run "$r"; done
echo "logs in $out"
