# Shared by the tpm shell tests: start_swtpm DIR starts a fresh swtpm (TPM 2.0,
# powered on) on two free loopback ports and sets SWTPM_TCTI and SWTPM_PID;
# stop_swtpm ends it. Sourced after tests/cli/common.sh.

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_swtpm() {
    local dir=$1 port tries
    mkdir -p "$dir"
    for tries in $(seq 1 50); do
        port=$(( (RANDOM % 30000) + 20000 ))
        port_taken "$port" || port_taken $((port + 1)) && continue
        swtpm socket --tpm2 --server "type=tcp,port=$port,bindaddr=127.0.0.1" \
            --ctrl "type=tcp,port=$((port + 1)),bindaddr=127.0.0.1" \
            --flags not-need-init,startup-clear --tpmstate "dir=$dir" >"$dir/swtpm.log" 2>&1 &
        SWTPM_PID=$!
        for _ in $(seq 1 100); do
            port_taken "$port" && break
            kill -0 "$SWTPM_PID" 2>/dev/null || break
            sleep 0.05
        done
        if port_taken "$port"; then
            SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
            return 0
        fi
        kill "$SWTPM_PID" 2>/dev/null || true
        wait "$SWTPM_PID" 2>/dev/null || true
    done
    fail "swtpm did not start: $(cat "$dir/swtpm.log")"
}

stop_swtpm() {
    [ -n "${SWTPM_PID:-}" ] || return 0
    kill "$SWTPM_PID" 2>/dev/null || true
    wait "$SWTPM_PID" 2>/dev/null || true
    SWTPM_PID=
}
