//! Applies lsemu's boot-time DTB fix-ups to a blob, for inspection with `dtc`:
//! `cargo run -p lsemu-firmware --example fixup-dtb -- IN.dtb OUT.dtb RAM_MIB "BOOTARGS" [UNMODELLED...]`

use lsemu_firmware::dtb::{fixup, ls2088a_banks, FixupConfig};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() < 5 {
        eprintln!("usage: fixup-dtb IN.dtb OUT.dtb RAM_MIB BOOTARGS [UNMODELLED...]");
        std::process::exit(2);
    }
    let blob = std::fs::read(&a[1]).unwrap_or_else(|e| panic!("{}: {e}", a[1]));
    let ram: u64 = a[3].parse().expect("RAM_MIB");
    let cfg = FixupConfig {
        bootargs: Some(a[4].clone()),
        initrd: None,
        ram: ls2088a_banks(ram << 20),
        unmodelled: a[5..].to_vec(),
        mc_iommu_map: true,
        cpu_mpidrs: None,
    };
    match fixup(&blob, &cfg) {
        Ok((out, rep)) => {
            std::fs::write(&a[2], out).unwrap_or_else(|e| panic!("{}: {e}", a[2]));
            println!("disabled (unmodelled): {}", rep.disabled.join(" "));
            println!("cpus with enable-method psci: {}", rep.cpus.len());
            println!("fsl-mc iommu-map smmu phandle: {:?}", rep.mc_smmu_phandle);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
