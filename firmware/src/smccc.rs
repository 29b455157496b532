//! SMC Calling Convention (Arm DEN0028, v1.1): function-ID layout, the return codes, and
//! the Arm Architecture Service calls (owning entity 0) a Cortex-A72 EL3 monitor answers.
//!
//! Function ID (W0): bit 31 = fast call, bit 30 = SMC64, bits 29:24 = owning entity
//! number, bits 15:0 = function number. An unknown ID returns -1 sign-extended in X0.
//!
//! The answers follow Arm Trusted Firmware-A (services/arm_arch_svc) built for a
//! Cortex-A72, and what Linux 6.1 (arch/arm64/kernel/proton-pack.c) does with them:
//! - ARCH_WORKAROUND_1 (Spectre v2, CVE-2017-5715): the A72 is affected and TF-A
//!   mitigates it on entry to EL3 (BPIALL via the `wa_cve_2017_5715_mmu` vectors), so
//!   ARCH_FEATURES answers 0 (implemented). Linux: `SPECTRE_MITIGATED`, installs
//!   `call_smc_arch_workaround_1` as the branch-predictor hardening callback (an SMC on
//!   every EL0 → EL1 entry that could be an attack) and prints
//!   "CPU features: detected: Spectre-v2". The call itself only has to return.
//! - ARCH_WORKAROUND_2 (Spectre v4 / SSB, CVE-2018-3639): TF-A for the A72 sets
//!   CPUACTLR_EL1 "disable load pass store" at reset (static mitigation, no
//!   DYNAMIC_WORKAROUND_CVE_2018_3639), so ARCH_FEATURES answers NOT_REQUIRED (-2).
//!   Linux maps -2 to `SPECTRE_UNAFFECTED`: no SSBD dance, no per-task firmware calls.
//! - ARCH_WORKAROUND_3 (Spectre-BHB, CVE-2022-23960): TF-A ≥ 2.7 for the A72 answers 0
//!   (the A72 is affected; the EL3 entry path runs the BHB loop). Linux 6.1 nevertheless
//!   uses its own branchy loop (k = 8) for the A72, because `spectre_bhb_loop_affected`
//!   is checked before the firmware mitigation; it still probes WA3 in
//!   `is_spectre_bhb_fw_affected`. Calls to WA3 only have to return.

/// SMCCC return codes (DEN0028 §7.1 / Table 7-1), as signed 32-bit values; they are
/// returned sign-extended in X0 (like TF-A's `SMC_RET1(handle, (int)ret)`).
pub const SUCCESS: i64 = 0;
pub const NOT_SUPPORTED: i64 = -1;
pub const NOT_REQUIRED: i64 = -2;
pub const INVALID_PARAMETER: i64 = -3;

/// Arm Architecture Service function IDs (SMC32, fast calls).
pub const SMCCC_VERSION: u32 = 0x8000_0000;
pub const SMCCC_ARCH_FEATURES: u32 = 0x8000_0001;
pub const SMCCC_ARCH_SOC_ID: u32 = 0x8000_0002;
pub const SMCCC_ARCH_WORKAROUND_1: u32 = 0x8000_8000;
pub const SMCCC_ARCH_WORKAROUND_2: u32 = 0x8000_7fff;
pub const SMCCC_ARCH_WORKAROUND_3: u32 = 0x8000_3fff;

/// SMCCC_VERSION answer: major in bits 30:16, minor in bits 15:0 (v1.1 = 0x10001).
pub const VERSION_1_1: i64 = 0x1_0001;

/// Bit 31 of the function ID: fast call (1) or yielding call (0).
pub const FAST_CALL: u32 = 1 << 31;
/// Bit 30: SMC64/HVC64 calling convention.
pub const SMC64: u32 = 1 << 30;

/// Owning entity numbers (bits 29:24).
pub const OEN_ARM: u32 = 0;
pub const OEN_STANDARD: u32 = 4;

/// The owning entity number of a function ID.
pub fn owning_entity(fid: u32) -> u32 {
    (fid >> 24) & 0x3f
}

/// Whether `fid` uses the SMC64 convention.
pub fn is_smc64(fid: u32) -> bool {
    fid & SMC64 != 0
}

/// Encodes a signed return code for X0 (sign-extended to 64 bits).
pub fn ret(code: i64) -> u64 {
    code as u64
}

/// Result of an Arm Architecture Service call: the new X0, or `None` when the call has
/// no return value and leaves the registers as they were (ARCH_WORKAROUND_n).
pub fn arch_call(fid: u32, x1: u64) -> Option<u64> {
    match fid {
        SMCCC_VERSION => Some(ret(VERSION_1_1)),
        SMCCC_ARCH_FEATURES => Some(ret(arch_features(x1 as u32))),
        // The mitigation (if any) happened on entry to the model; nothing else to do.
        SMCCC_ARCH_WORKAROUND_1 | SMCCC_ARCH_WORKAROUND_2 | SMCCC_ARCH_WORKAROUND_3 => None,
        _ => Some(ret(NOT_SUPPORTED)),
    }
}

/// SMCCC_ARCH_FEATURES(queried function ID), as TF-A answers on a Cortex-A72.
pub fn arch_features(queried: u32) -> i64 {
    match queried {
        SMCCC_VERSION | SMCCC_ARCH_FEATURES => SUCCESS,
        SMCCC_ARCH_WORKAROUND_1 => SUCCESS,
        SMCCC_ARCH_WORKAROUND_2 => NOT_REQUIRED,
        SMCCC_ARCH_WORKAROUND_3 => SUCCESS,
        // SMCCC_ARCH_SOC_ID is not modelled (Linux: "ARCH_SOC_ID not implemented, skipping").
        _ => NOT_SUPPORTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values from DEN0028 (SMCCC v1.1+): Table 7-1 return codes, §7.2-7.5 function IDs.
    #[test]
    fn ids_and_codes_match_den0028() {
        assert_eq!(SMCCC_VERSION, 0x8000_0000);
        assert_eq!(SMCCC_ARCH_FEATURES, 0x8000_0001);
        assert_eq!(SMCCC_ARCH_WORKAROUND_1, 0x8000_8000);
        assert_eq!(SMCCC_ARCH_WORKAROUND_2, 0x8000_7FFF);
        assert_eq!(SMCCC_ARCH_WORKAROUND_3, 0x8000_3FFF);
        assert_eq!(ret(NOT_SUPPORTED), 0xffff_ffff_ffff_ffff);
        assert_eq!(ret(NOT_REQUIRED), 0xffff_ffff_ffff_fffe);
        assert_eq!(ret(INVALID_PARAMETER), 0xffff_ffff_ffff_fffd);
    }

    #[test]
    fn version_is_1_1() {
        assert_eq!(arch_call(SMCCC_VERSION, 0), Some(0x1_0001));
    }

    #[test]
    fn arch_features_for_a72() {
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_1 as u64), Some(0));
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_2 as u64), Some(ret(-2)));
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_WORKAROUND_3 as u64), Some(0));
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, SMCCC_VERSION as u64), Some(0));
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, SMCCC_ARCH_SOC_ID as u64), Some(ret(-1)));
        // The upper half of X1 is ignored (SMC32 call: W1).
        assert_eq!(arch_call(SMCCC_ARCH_FEATURES, 0xdead_0000_8000_8000), Some(0));
    }

    #[test]
    fn workarounds_return_nothing_and_unknown_is_minus_one() {
        assert_eq!(arch_call(SMCCC_ARCH_WORKAROUND_1, 0), None);
        assert_eq!(arch_call(SMCCC_ARCH_WORKAROUND_3, 0), None);
        assert_eq!(arch_call(0x8000_0005, 0), Some(u64::MAX));
    }

    #[test]
    fn fid_fields() {
        assert_eq!(owning_entity(0x8400_0000), OEN_STANDARD);
        assert_eq!(owning_entity(0xc400_0003), OEN_STANDARD);
        assert!(is_smc64(0xc400_0003));
        assert!(!is_smc64(0x8400_0003));
        assert_eq!(owning_entity(SMCCC_ARCH_WORKAROUND_1), OEN_ARM);
    }
}
