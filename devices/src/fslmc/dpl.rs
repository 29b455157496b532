//! The data-path layout (DPL): NXP's device tree that tells the MC firmware which
//! containers and objects to create at boot, in the format of nxp-qoriq/mc-utils
//! `config/<soc>/<board>/dpl-*.dts`:
//!
//! ```text
//! / {
//!     dpl-version = <10>;
//!     containers {
//!         dprc@1 {
//!             parent = "none";
//!             options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED";
//!             objects {
//!                 obj@1 { obj_name = "dpni@0"; };                    // one object
//!                 obj_set@dpio { type = "dpio"; ids = <0 1 2 3>; };  // several of a type
//!             };
//!         };
//!         dprc@2 { parent = "dprc@1"; objects { … }; };               // a child container
//!     };
//!     objects {                       // every object, as <type>@<decimal id>
//!         dpni@0 { num_queues = <1>; num_tcs = <1>; };
//!         dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
//!     };
//!     connections {
//!         connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@1"; };
//!         connection@1 { endpoint1 = "dpsw@0/if@1"; endpoint2 = "dpmac@2"; };
//!     };
//! };
//! ```
//!
//! Read from source (`.dts`, with the small reader in `dts.rs`) or from a blob (`.dtb`,
//! with the `fdt` crate). Unit addresses are decimal object ids, as in NXP's DPLs
//! (`dpmcp@10` is DPMCP 10). Properties the model does not use (DPNI filter sizes, DPSECI
//! priorities …) are accepted and ignored. What lsemu cannot honour is one error naming
//! the node.

use super::dts::{self, RawNode};
use super::objects::*;

/// A DPL that cannot be loaded: one line naming the node or property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DplError(pub String);

fn err<T>(node: &str, msg: impl std::fmt::Display) -> Result<T, DplError> {
    Err(DplError(format!("{node}: {msg}")))
}

/// Number of MC portals (64 MiB window, 64 KiB each; ls2088a-reference.md §4.1).
pub const MC_PORTALS: u32 = 1024;
/// QBMan software portals of the LS2088A's QMan (one per DPIO).
pub const QBMAN_PORTALS: u32 = 64;

/// The built-in DPL when none is given: 8 DPIOs (one per core), 4 DPBPs, 8 DPCONs,
/// 20 DPMCPs, 2 DPNIs each connected to a DPMAC (1 and 2) in the root container, and a
/// child container (for VFIO) with a DPNI, a DPBP, a DPCON, a DPIO and DPMCPs of its own.
/// Counts follow ls2088a-reference.md §4.10 (DPMCPs ≥ DPIOs + DPNIs + spares; a DPCON per
/// core for dpaa2-eth's channels).
pub const DEFAULT_DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED",
				  "DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpio { type = "dpio"; ids = <0 1 2 3 4 5 6 7>; };
				obj_set@dpbp { type = "dpbp"; ids = <0 1 2 3>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1 2 3 4 5 6 7>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20>; };
				obj_set@dpni { type = "dpni"; ids = <0 1>; };
				obj_set@dpmac { type = "dpmac"; ids = <1 2>; };
			};
		};
		dprc@2 {
			compatible = "fsl,dprc";
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <2>; };
				obj_set@dpbp { type = "dpbp"; ids = <4>; };
				obj_set@dpcon { type = "dpcon"; ids = <8>; };
				obj_set@dpio { type = "dpio"; ids = <8>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <21 22>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; };
		dpni@1 { num_queues = <1>; num_tcs = <1>; };
		dpni@2 { num_queues = <1>; num_tcs = <1>; };
		dpmac@1 { compatible = "fsl,dpmac"; };
		dpmac@2 { compatible = "fsl,dpmac"; };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@2 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@3 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@4 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@5 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@6 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@7 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@8 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { }; dpbp@1 { }; dpbp@2 { }; dpbp@3 { }; dpbp@4 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpcon@2 { num_priorities = <2>; }; dpcon@3 { num_priorities = <2>; };
		dpcon@4 { num_priorities = <2>; }; dpcon@5 { num_priorities = <2>; };
		dpcon@6 { num_priorities = <2>; }; dpcon@7 { num_priorities = <2>; };
		dpcon@8 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { };
		dpmcp@6 { }; dpmcp@7 { }; dpmcp@8 { }; dpmcp@9 { }; dpmcp@10 { };
		dpmcp@11 { }; dpmcp@12 { }; dpmcp@13 { }; dpmcp@14 { }; dpmcp@15 { };
		dpmcp@16 { }; dpmcp@17 { }; dpmcp@18 { }; dpmcp@19 { }; dpmcp@20 { };
		dpmcp@21 { }; dpmcp@22 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@1"; };
		connection@1 { endpoint1 = "dpni@1"; endpoint2 = "dpmac@2"; };
	};
};
"#;

/// Whether `data` is a flattened device tree (magic 0xd00dfeed).
pub fn is_dtb(data: &[u8]) -> bool {
    data.len() >= 4 && data[..4] == [0xd0, 0x0d, 0xfe, 0xed]
}

/// Loads a DPL from a `.dtb` blob or `.dts` source (told apart by the blob magic).
pub fn load(data: &[u8]) -> Result<Layout, DplError> {
    let tree = if is_dtb(data) {
        dts::from_dtb(data).map_err(DplError)?
    } else {
        let src = std::str::from_utf8(data).map_err(|_| DplError("neither a device tree blob nor UTF-8 device-tree source".into()))?;
        dts::parse_dts(src).map_err(DplError)?
    };
    from_tree(&tree)
}

/// The built-in layout.
pub fn default_layout() -> Layout {
    // The built-in DPL is checked by a unit test; an error here is a bug in lsemu.
    load(DEFAULT_DPL.as_bytes()).unwrap_or_default()
}

fn strings(v: &[u8]) -> Vec<String> {
    let v = v.strip_suffix(&[0]).unwrap_or(v);
    if v.is_empty() {
        return Vec::new();
    }
    v.split(|&b| b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect()
}

fn string(node: &str, n: &RawNode, prop: &str) -> Result<Option<String>, DplError> {
    match n.prop(prop) {
        None => Ok(None),
        Some(v) => {
            let s = strings(v);
            match s.as_slice() {
                [one] => Ok(Some(one.clone())),
                [] => Ok(Some(String::new())),
                _ => err(node, format!("property '{prop}' must be one string")),
            }
        }
    }
}

fn cells(node: &str, n: &RawNode, prop: &str) -> Result<Option<Vec<u32>>, DplError> {
    match n.prop(prop) {
        None => Ok(None),
        Some(v) if v.len() % 4 != 0 => err(node, format!("property '{prop}' must be 32-bit cells (<…>)")),
        Some(v) => Ok(Some(v.chunks(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect())),
    }
}

fn cell_u8(node: &str, n: &RawNode, prop: &str, default: u8, range: std::ops::RangeInclusive<u32>) -> Result<u8, DplError> {
    match cells(node, n, prop)?.as_deref() {
        // 0 means "the MC's default" in NXP's DPLs (e.g. max_dist_per_tc = <0>).
        None | Some([0]) => Ok(default),
        Some([v]) if range.contains(v) => Ok(*v as u8),
        Some([v]) => err(node, format!("{prop} = <{v}> is outside {}..={} (what lsemu models)", range.start(), range.end())),
        Some(_) => err(node, format!("property '{prop}' must be one cell")),
    }
}

/// Splits `type@id` (decimal id) into type and id.
fn type_id(s: &str) -> Option<(ObjType, u32)> {
    let (t, id) = s.split_once('@')?;
    Some((ObjType::from_name(t)?, id.parse().ok()?))
}

fn parse_endpoint(node: &str, prop: &str, s: &str, layout: &Layout) -> Result<Endpoint, DplError> {
    let (obj, ifc) = match s.split_once('/') {
        Some((o, i)) => (o, Some(i)),
        None => (s, None),
    };
    let Some((ty, id)) = type_id(obj) else {
        return err(node, format!("{prop} = \"{s}\" is not <type>@<id> of a known object type"));
    };
    let if_id = match ifc {
        None => 0,
        Some(i) => match i.strip_prefix("if@").and_then(|x| x.parse::<u16>().ok()) {
            Some(v) => v,
            None => return err(node, format!("{prop} = \"{s}\": the interface must be written if@<n>")),
        },
    };
    if layout.obj_index(ty, id).is_none() {
        return err(node, format!("{prop} = \"{s}\" names no object defined under /objects"));
    }
    if ifc.is_some() && !matches!(ty, ObjType::Dpsw | ObjType::Dpdmux) {
        return err(node, format!("{prop} = \"{s}\": only dpsw and dpdmux endpoints have interfaces"));
    }
    Ok(Endpoint { ty, id, if_id })
}

/// Builds the object model from a parsed DPL tree.
pub fn from_tree(root: &RawNode) -> Result<Layout, DplError> {
    let mut layout = Layout::default();
    const UNASSIGNED: u32 = u32::MAX;

    // /objects
    let Some(objs) = root.child("objects") else {
        return err("/", "no /objects node (not a DPL?)");
    };
    for n in &objs.children {
        let path = format!("/objects/{}", n.name);
        let Some((tname, idstr)) = n.name.split_once('@') else {
            return err(&path, "object nodes are named <type>@<id>");
        };
        let Some(ty) = ObjType::from_name(tname) else {
            return err(&path, format!("unknown object type '{tname}'"));
        };
        if ty == ObjType::Dprc {
            return err(&path, "containers belong under /containers");
        }
        let Ok(id) = idstr.parse::<u32>() else {
            return err(&path, format!("object id '{idstr}' is not a decimal number"));
        };
        if layout.obj_index(ty, id).is_some() {
            return err(&path, "defined twice");
        }
        let mut a = Attrs::default();
        match ty {
            ObjType::Dpni => {
                // Older DPLs write max_tcs / max_dist_per_tc instead of num_tcs / num_queues.
                // max_dist_per_tc lists one distribution size per TC: the largest counts.
                let t = if n.prop("num_tcs").is_some() { "num_tcs" } else { "max_tcs" };
                a.num_queues = if n.prop("num_queues").is_some() {
                    cell_u8(&path, n, "num_queues", 1, 1..=16)?
                } else {
                    let m = cells(&path, n, "max_dist_per_tc")?.unwrap_or_default().into_iter().max().unwrap_or(1);
                    m.clamp(1, 16) as u8
                };
                a.num_tcs = cell_u8(&path, n, t, 1, 1..=8)?;
                if let Some(m) = cells(&path, n, "mac_addr")? {
                    if m.len() != 6 || m.iter().any(|&b| b > 255) {
                        return err(&path, "mac_addr must be 6 byte-valued cells");
                    }
                    for (d, s) in a.mac.iter_mut().zip(&m) {
                        *d = *s as u8;
                    }
                }
            }
            ObjType::Dpio => {
                a.num_priorities = cell_u8(&path, n, "num_priorities", 8, 1..=8)?;
                a.channel_mode = match string(&path, n, "channel_mode")?.as_deref() {
                    None | Some("DPIO_LOCAL_CHANNEL") => 1,
                    Some("DPIO_NO_CHANNEL") => 0,
                    Some(o) => return err(&path, format!("channel_mode \"{o}\" is not DPIO_LOCAL_CHANNEL or DPIO_NO_CHANNEL")),
                };
            }
            ObjType::Dpcon => {
                let p = if n.prop("num_priorities").is_some() { "num_priorities" } else { "num_of_priorities" };
                a.num_priorities = cell_u8(&path, n, p, 2, 1..=8)?;
            }
            ObjType::Dpmac => a.link_type = 1, // FIXED: link control stays in the MC model (§4.8)
            ObjType::Dpsw => {
                a.num_ifs = match cells(&path, n, "num_ifs")?.as_deref() {
                    None => 4,
                    Some([v]) if *v <= 64 => *v as u16,
                    Some(_) => return err(&path, "num_ifs must be one cell ≤ 64"),
                };
            }
            _ => {}
        }
        layout.objects.push(Obj {
            ty,
            id,
            container: UNASSIGNED,
            label: String::new(),
            irqs: vec![Irq::default(); ty.irq_count() as usize],
            attrs: a,
            enabled: false,
            opens: 0,
        });
    }

    // /containers
    let Some(conts) = root.child("containers") else {
        return err("/", "no /containers node (not a DPL?)");
    };
    let mut order: Vec<usize> = Vec::new(); // object indices in assignment order
    // (container id, parent (id, as written), node path)
    type ParentEntry = (u32, Option<(u32, String)>, String);
    let mut parents: Vec<ParentEntry> = Vec::new();
    for n in &conts.children {
        let path = format!("/containers/{}", n.name);
        let Some(idstr) = n.name.strip_prefix("dprc@") else {
            return err(&path, "container nodes are named dprc@<id>");
        };
        let Ok(id) = idstr.parse::<u32>() else {
            return err(&path, format!("container id '{idstr}' is not a decimal number"));
        };
        if id == 0 {
            return err(&path, "container id 0 is not valid");
        }
        // A blob can hold two nodes of one name (dtc merges them in source; found by the
        // dpl_parse fuzz target).
        if layout.container(id).is_some() {
            return err(&path, "defined twice");
        }
        let parent = match string(&path, n, "parent")?.as_deref() {
            None | Some("none") | Some("") => None,
            Some(p) => match p.strip_prefix("dprc@").and_then(|x| x.parse::<u32>().ok()) {
                Some(pid) => Some((pid, p.to_string())),
                None => return err(&path, format!("parent = \"{p}\" is not \"none\" or \"dprc@<id>\"")),
            },
        };
        let mut options = 0;
        if let Some(v) = n.prop("options") {
            for o in strings(v) {
                if o.is_empty() {
                    continue;
                }
                match DPRC_OPTIONS.iter().find(|(name, _)| *name == o) {
                    Some((_, bit)) => options |= bit,
                    None => return err(&path, format!("unknown container option \"{o}\"")),
                }
            }
        }
        layout.containers.push(Container {
            id,
            parent: None,
            icid: 0,
            portal: 0,
            options,
            label: string(&path, n, "label")?.unwrap_or_default(),
            irq: Irq::default(),
            opens: 0,
        });
        parents.push((id, parent, path.clone()));
        if let Some(list) = n.child("objects") {
            for e in &list.children {
                let epath = format!("{path}/objects/{}", e.name);
                let mut assign = |ty: ObjType, oid: u32, what: &str| -> Result<(), DplError> {
                    let Some(i) = layout.obj_index(ty, oid) else {
                        return err(&epath, format!("{what} names {}@{oid}, which /objects does not define", ty.name()));
                    };
                    if layout.objects[i].container != UNASSIGNED {
                        return err(&epath, format!("{}@{oid} is already assigned to dprc@{}", ty.name(), layout.objects[i].container));
                    }
                    layout.objects[i].container = id;
                    order.push(i);
                    Ok(())
                };
                if let Some(name) = string(&epath, e, "obj_name")? {
                    let Some((ty, oid)) = type_id(&name) else {
                        return err(&epath, format!("obj_name = \"{name}\" is not <type>@<id> of a known object type"));
                    };
                    if ty == ObjType::Dprc {
                        return err(&epath, "child containers are declared with their own parent property, not as objects");
                    }
                    assign(ty, oid, &format!("obj_name = \"{name}\""))?;
                } else if let Some(t) = string(&epath, e, "type")? {
                    let Some(ty) = ObjType::from_name(&t) else {
                        return err(&epath, format!("unknown object type \"{t}\""));
                    };
                    let Some(ids) = cells(&epath, e, "ids")? else {
                        return err(&epath, "an obj_set needs an ids property");
                    };
                    for oid in ids {
                        assign(ty, oid, "ids")?;
                    }
                } else {
                    return err(&epath, "neither obj_name nor type/ids");
                }
            }
        }
    }
    // Parents, root, ICIDs and portals.
    let mut roots = parents.iter().filter(|p| p.1.is_none());
    let Some(root_entry) = roots.next() else {
        return err("/containers", "no root container (one with parent = \"none\")");
    };
    if let Some(second) = roots.next() {
        return err(&second.2, format!("a second root container (dprc@{} already has parent = \"none\")", root_entry.0));
    }
    let root_id = root_entry.0;
    for (id, parent, path) in &parents {
        if let Some((pid, pname)) = parent {
            if !parents.iter().any(|p| p.0 == *pid) {
                return err(path, format!("parent = \"{pname}\" is not a container of this DPL"));
            }
            if let Some(c) = layout.container_mut(*id) {
                c.parent = Some(*pid);
            }
        }
    }
    for (id, _, path) in &parents {
        if !layout.is_within(*id, root_id) {
            return err(path, "its parent chain does not lead to the root container (a cycle)");
        }
    }
    // Root first, then the others in DPL order.
    if let Some(i) = layout.containers.iter().position(|c| c.id == root_id) {
        let r = layout.containers.remove(i);
        layout.containers.insert(0, r);
    }
    if layout.containers.len() > (ICID_LAST - ICID_BASE + 1) as usize {
        return err("/containers", format!("{} containers, but the MC has ICIDs {ICID_BASE}..={ICID_LAST} only", layout.containers.len()));
    }
    // Objects in assignment order, unassigned ones last.
    let mut objs: Vec<Obj> = order.iter().map(|&i| layout.objects[i].clone()).collect();
    objs.extend(layout.objects.iter().filter(|o| o.container == UNASSIGNED).cloned());
    layout.objects = objs;
    // Hardware resources: DPMCP n uses MC portal n; DPIOs take QBMan portals, DPCONs
    // channels and DPBPs buffer pools in id order.
    let mut used_portals = vec![0u32];
    for o in layout.objects.iter_mut().filter(|o| o.ty == ObjType::Dpmcp) {
        if o.id == 0 || o.id >= MC_PORTALS {
            return err(&format!("/objects/dpmcp@{}", o.id), format!("DPMCP ids are MC portal numbers 1..{}", MC_PORTALS - 1));
        }
        o.attrs.hw_index = o.id;
        used_portals.push(o.id);
    }
    for ty in [ObjType::Dpio, ObjType::Dpcon, ObjType::Dpbp] {
        let mut ids: Vec<u32> = layout.objects.iter().filter(|o| o.ty == ty).map(|o| o.id).collect();
        ids.sort_unstable();
        if ty == ObjType::Dpio && ids.len() > QBMAN_PORTALS as usize {
            return err("/objects", format!("{} DPIOs, but QBMan has {QBMAN_PORTALS} software portals", ids.len()));
        }
        for o in layout.objects.iter_mut().filter(|o| o.ty == ty) {
            o.attrs.hw_index = ids.iter().position(|&x| x == o.id).unwrap_or(0) as u32;
        }
    }
    let mut next_portal = 1;
    for (k, c) in layout.containers.iter_mut().enumerate() {
        c.icid = ICID_BASE + k as u16;
        if k > 0 {
            while used_portals.contains(&next_portal) {
                next_portal += 1;
            }
            if next_portal >= MC_PORTALS {
                return err(&format!("/containers/dprc@{}", c.id), "no free MC portal left for this container");
            }
            c.portal = next_portal;
            used_portals.push(next_portal);
        }
    }
    // /connections
    if let Some(cn) = root.child("connections") {
        for n in &cn.children {
            let path = format!("/connections/{}", n.name);
            let (Some(a), Some(b)) = (string(&path, n, "endpoint1")?, string(&path, n, "endpoint2")?) else {
                return err(&path, "a connection needs endpoint1 and endpoint2");
            };
            let ea = parse_endpoint(&path, "endpoint1", &a, &layout)?;
            let eb = parse_endpoint(&path, "endpoint2", &b, &layout)?;
            if ea == eb {
                return err(&path, "connects an endpoint to itself");
            }
            for e in [ea, eb] {
                if layout.peer(e).is_some() {
                    return err(&path, format!("{e} is already connected"));
                }
            }
            layout.connections.push((ea, eb));
        }
    }
    Ok(layout)
}
