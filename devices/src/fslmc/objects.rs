//! The MC's object model: containers (DPRCs), the objects assigned to them and the
//! connections between object endpoints. Built from a DPL (`dpl.rs`); the firmware model
//! (`fw.rs`) answers commands from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// First ICID of the DPAA2/MC range of the Chassis-3 stream-ID plan (U-Boot
/// stream_id_lsch3.h; ls2088a-reference.md §0): the root container gets it, child
/// containers the next ones.
pub const ICID_BASE: u16 = 23;
/// Last ICID of that range (23..63).
pub const ICID_LAST: u16 = 63;

/// DPRC options (`DPRC_CFG_OPT_*`, MC API header fsl_dprc.h).
pub const DPRC_OPT_SPAWN_ALLOWED: u32 = 0x1;
pub const DPRC_OPT_ALLOC_ALLOWED: u32 = 0x2;
pub const DPRC_OPT_OBJ_CREATE_ALLOWED: u32 = 0x4;
pub const DPRC_OPT_TOPOLOGY_CHANGES_ALLOWED: u32 = 0x8;
pub const DPRC_OPT_IOMMU_BYPASS: u32 = 0x10;
pub const DPRC_OPT_AIOP: u32 = 0x20;
pub const DPRC_OPT_IRQ_CFG_ALLOWED: u32 = 0x40;

/// The option names a DPL may list, with their bits.
pub const DPRC_OPTIONS: &[(&str, u32)] = &[
    ("DPRC_CFG_OPT_SPAWN_ALLOWED", DPRC_OPT_SPAWN_ALLOWED),
    ("DPRC_CFG_OPT_ALLOC_ALLOWED", DPRC_OPT_ALLOC_ALLOWED),
    ("DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", DPRC_OPT_OBJ_CREATE_ALLOWED),
    ("DPRC_CFG_OPT_TOPOLOGY_CHANGES_ALLOWED", DPRC_OPT_TOPOLOGY_CHANGES_ALLOWED),
    ("DPRC_CFG_OPT_IOMMU_BYPASS", DPRC_OPT_IOMMU_BYPASS),
    ("DPRC_CFG_OPT_AIOP", DPRC_OPT_AIOP),
    ("DPRC_CFG_OPT_IRQ_CFG_ALLOWED", DPRC_OPT_IRQ_CFG_ALLOWED),
];

/// Object types the fsl-mc bus of Linux 6.1 knows (fsl-mc-bus.c device types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjType {
    Dprc,
    Dpni,
    Dpsw,
    Dpio,
    Dpbp,
    Dpdmux,
    Dpci,
    Dpcon,
    Dpseci,
    Dpaiop,
    Dpmcp,
    Dpmac,
    Dpdcei,
    Dpdmai,
    Dprtc,
}

impl ObjType {
    pub const ALL: [ObjType; 15] = [
        ObjType::Dprc,
        ObjType::Dpni,
        ObjType::Dpsw,
        ObjType::Dpio,
        ObjType::Dpbp,
        ObjType::Dpdmux,
        ObjType::Dpci,
        ObjType::Dpcon,
        ObjType::Dpseci,
        ObjType::Dpaiop,
        ObjType::Dpmcp,
        ObjType::Dpmac,
        ObjType::Dpdcei,
        ObjType::Dpdmai,
        ObjType::Dprtc,
    ];

    /// The type string of `DPRC_GET_OBJ` and the Linux device name prefix.
    pub fn name(self) -> &'static str {
        match self {
            ObjType::Dprc => "dprc",
            ObjType::Dpni => "dpni",
            ObjType::Dpsw => "dpsw",
            ObjType::Dpio => "dpio",
            ObjType::Dpbp => "dpbp",
            ObjType::Dpdmux => "dpdmux",
            ObjType::Dpci => "dpci",
            ObjType::Dpcon => "dpcon",
            ObjType::Dpseci => "dpseci",
            ObjType::Dpaiop => "dpaiop",
            ObjType::Dpmcp => "dpmcp",
            ObjType::Dpmac => "dpmac",
            ObjType::Dpdcei => "dpdcei",
            ObjType::Dpdmai => "dpdmai",
            ObjType::Dprtc => "dprtc",
        }
    }

    pub fn from_name(s: &str) -> Option<ObjType> {
        ObjType::ALL.iter().copied().find(|t| t.name() == s)
    }

    /// The command number of the type's OPEN (`0x80x`; ls2088a-reference.md §4.3). Its
    /// GET_API_VERSION is `0xA0x`, CREATE `0x90x`, DESTROY `0x98x` with the same low digit.
    pub fn open_num(self) -> u16 {
        0x800
            | match self {
                ObjType::Dpni => 0x01,
                ObjType::Dpsw => 0x02,
                ObjType::Dpio => 0x03,
                ObjType::Dpbp => 0x04,
                ObjType::Dprc => 0x05,
                ObjType::Dpdmux => 0x06,
                ObjType::Dpci => 0x07,
                ObjType::Dpcon => 0x08,
                ObjType::Dpseci => 0x09,
                ObjType::Dpaiop => 0x0A,
                ObjType::Dpmcp => 0x0B,
                ObjType::Dpmac => 0x0C,
                ObjType::Dpdcei => 0x0D,
                ObjType::Dpdmai => 0x0E,
                ObjType::Dprtc => 0x10,
            }
    }

    pub fn from_open_low(low: u16) -> Option<ObjType> {
        ObjType::ALL.iter().copied().find(|t| t.open_num() & 0xff == low)
    }

    /// The object API version the model reports: those of MC firmware release 10.28.0
    /// (the `*_VER_MAJOR/MINOR` of its API headers, nxp-qoriq/mc-utils
    /// api/mc_release_10.28.0/fsl_*_cmd.h). Linux 6.1 needs DPRC ≥ 6.0 (6.6 for the v3
    /// GET_OBJ_REG with base addresses), DPMCP ≥ 3.0, DPNI ≥ 7.0 (fsl-mc-private.h,
    /// dpaa2-eth.c). DPAIOP/DPDCEI: 1.0 (not in that release's headers).
    pub fn api_version(self) -> (u16, u16) {
        match self {
            ObjType::Dprc => (6, 6),
            ObjType::Dpmcp => (4, 0),
            ObjType::Dpio => (4, 3),
            ObjType::Dpbp => (3, 4),
            ObjType::Dpcon => (3, 3),
            ObjType::Dpni => (7, 17),
            ObjType::Dpmac => (4, 7),
            ObjType::Dpsw => (8, 9),
            ObjType::Dpdmux => (6, 9),
            ObjType::Dpseci => (5, 3),
            ObjType::Dprtc => (2, 3),
            ObjType::Dpci => (3, 4),
            ObjType::Dpdmai => (3, 4),
            ObjType::Dpaiop | ObjType::Dpdcei => (1, 0),
        }
    }

    /// Interrupts of the type as the MC reports them (`irq_count`).
    pub fn irq_count(self) -> u8 {
        match self {
            ObjType::Dpbp | ObjType::Dpcon => 0,
            _ => 1,
        }
    }

    /// Whether the model implements the type's own commands (the others answer the
    /// generic ones only: open, close, reset, enable, disable, attributes, IRQs).
    pub fn modelled(self) -> bool {
        matches!(self, ObjType::Dprc | ObjType::Dpmcp | ObjType::Dpio | ObjType::Dpbp | ObjType::Dpcon | ObjType::Dpni | ObjType::Dpmac)
    }
}

/// One interrupt of an object or container: the MSI the OS programmed
/// (`DPRC_SET_IRQ`/`DPRC_SET_OBJ_IRQ`) and the enable/mask/status state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Irq {
    pub addr: u64,
    pub data: u32,
    /// The OS's IRQ number (informational; Linux passes its virq).
    pub irq_num: u32,
    /// Whether an MSI was programmed.
    pub configured: bool,
    pub enabled: bool,
    pub mask: u32,
    pub status: u32,
}

/// Type-specific attributes (from the DPL node, or defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attrs {
    /// DPNI: queues per TC and traffic classes.
    pub num_queues: u8,
    pub num_tcs: u8,
    /// DPNI: MAC address from the DPL (`mac_addr`), all zero when unset.
    pub mac: [u8; 6],
    /// DPIO, DPCON: priorities.
    pub num_priorities: u8,
    /// DPIO: channel mode (0 none, 1 local channel).
    pub channel_mode: u8,
    /// DPIO: QBMan software portal index; DPCON: QBMan channel id; DPBP: buffer pool id;
    /// DPMCP and child DPRCs: MC portal index.
    pub hw_index: u32,
    /// DPMAC: link type (1 FIXED).
    pub link_type: u8,
    /// DPSW: number of interfaces.
    pub num_ifs: u16,
}

/// An MC object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obj {
    pub ty: ObjType,
    pub id: u32,
    /// Id of the container it is assigned to.
    pub container: u32,
    pub label: String,
    pub attrs: Attrs,
    pub irqs: Vec<Irq>,
    pub enabled: bool,
    /// Number of open tokens (state bit OPEN).
    pub opens: u32,
}

/// A container (DPRC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub id: u32,
    pub parent: Option<u32>,
    pub icid: u16,
    /// MC portal index of the container's own portal (0 for the root).
    pub portal: u32,
    pub options: u32,
    pub label: String,
    pub irq: Irq,
    pub opens: u32,
}

/// One end of a connection: object and interface (`dpsw@0/if@1` → if_id 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Endpoint {
    pub ty: ObjType,
    pub id: u32,
    pub if_id: u16,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.ty.name(), self.id)?;
        if matches!(self.ty, ObjType::Dpsw | ObjType::Dpdmux) {
            write!(f, "/if.{}", self.if_id)?;
        }
        Ok(())
    }
}

/// The whole object model: containers (the first is the root), objects in creation
/// order (which is the `DPRC_GET_OBJ` index order within each container), connections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub containers: Vec<Container>,
    pub objects: Vec<Obj>,
    pub connections: Vec<(Endpoint, Endpoint)>,
}

/// What a container lists through `DPRC_GET_OBJ`: an object, or a child container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Obj(usize),
    Child(usize),
}

impl Layout {
    /// What the MC model cannot honour in this layout, one line per object type: objects
    /// of the types whose own commands the firmware model does not answer (it answers only
    /// the commands every object has — open/close, version, attributes of DPRC_GET_OBJ,
    /// IRQ set-up — and UNSUPPORTED_OP for the rest, so their drivers do not probe), with
    /// the DPL nodes (`/objects/<type>@<id>`) that declare them.
    pub fn unmodelled(&self) -> Vec<String> {
        let modelled = [ObjType::Dprc, ObjType::Dpni, ObjType::Dpio, ObjType::Dpbp, ObjType::Dpcon, ObjType::Dpmcp, ObjType::Dpmac];
        let mut out = Vec::new();
        for ty in ObjType::ALL.into_iter().filter(|t| !modelled.contains(t)) {
            let nodes: Vec<String> = self.objects.iter().filter(|o| o.ty == ty).map(|o| format!("/objects/{}@{}", ty.name(), o.id)).collect();
            if !nodes.is_empty() {
                out.push(format!(
                    "{}: {} objects get only the generic object commands (open/close, version, IRQs); their own commands answer UNSUPPORTED_OP, so their drivers will not probe them",
                    nodes.join(", "),
                    ty.name()
                ));
            }
        }
        out
    }

    pub fn root(&self) -> Option<&Container> {
        self.containers.first()
    }

    pub fn container(&self, id: u32) -> Option<&Container> {
        self.containers.iter().find(|c| c.id == id)
    }

    pub fn container_mut(&mut self, id: u32) -> Option<&mut Container> {
        self.containers.iter_mut().find(|c| c.id == id)
    }

    pub fn obj_index(&self, ty: ObjType, id: u32) -> Option<usize> {
        self.objects.iter().position(|o| o.ty == ty && o.id == id)
    }

    pub fn obj(&self, ty: ObjType, id: u32) -> Option<&Obj> {
        self.obj_index(ty, id).map(|i| &self.objects[i])
    }

    /// Whether container `inner` is `outer` or one of its descendants.
    pub fn is_within(&self, inner: u32, outer: u32) -> bool {
        let mut cur = Some(inner);
        let mut steps = 0;
        while let Some(c) = cur {
            if c == outer {
                return true;
            }
            steps += 1;
            if steps > self.containers.len() {
                return false;
            }
            cur = self.container(c).and_then(|x| x.parent);
        }
        false
    }

    /// The entries `DPRC_GET_OBJ` enumerates for container `id`: its objects, then its
    /// child containers.
    pub fn listed(&self, id: u32) -> Vec<Listed> {
        let mut v: Vec<Listed> = self.objects.iter().enumerate().filter(|(_, o)| o.container == id).map(|(i, _)| Listed::Obj(i)).collect();
        v.extend(self.containers.iter().enumerate().filter(|(_, c)| c.parent == Some(id)).map(|(i, _)| Listed::Child(i)));
        v
    }

    /// The other end of a connection.
    pub fn peer(&self, ep: Endpoint) -> Option<Endpoint> {
        self.connections.iter().find_map(|&(a, b)| {
            if a == ep {
                Some(b)
            } else if b == ep {
                Some(a)
            } else {
                None
            }
        })
    }

    /// The container owning MC portal `portal` (the root's portal 0, a child DPRC's
    /// portal, or a DPMCP's) — the context commands on that portal run in.
    pub fn portal_owner(&self, portal: u32) -> Option<u32> {
        if let Some(c) = self.containers.iter().find(|c| c.portal == portal) {
            return Some(c.id);
        }
        self.objects
            .iter()
            .find(|o| o.ty == ObjType::Dpmcp && o.attrs.hw_index == portal)
            .map(|o| o.container)
            .filter(|c| self.container(*c).is_some())
    }

    /// A text view of the containers, their objects and the connections (for a monitor).
    pub fn describe(&self) -> String {
        let mut s = String::new();
        fn walk(l: &Layout, id: u32, depth: usize, s: &mut String) {
            let Some(c) = l.container(id) else { return };
            let pad = "  ".repeat(depth);
            let _ = writeln!(s, "{pad}dprc.{} (icid {}, portal {}, options {:#x}{})", c.id, c.icid, c.portal, c.options, if c.opens > 0 { ", open" } else { "" });
            for o in l.objects.iter().filter(|o| o.container == id) {
                let _ = write!(s, "{pad}  {}.{}", o.ty.name(), o.id);
                match o.ty {
                    ObjType::Dpmcp => {
                        let _ = write!(s, " (portal {})", o.attrs.hw_index);
                    }
                    ObjType::Dpio => {
                        let _ = write!(s, " (qbman portal {})", o.attrs.hw_index);
                    }
                    ObjType::Dpcon => {
                        let _ = write!(s, " (channel {})", o.attrs.hw_index);
                    }
                    ObjType::Dpbp => {
                        let _ = write!(s, " (bpid {})", o.attrs.hw_index);
                    }
                    ObjType::Dpni => {
                        let _ = write!(s, " (queues {}, tcs {})", o.attrs.num_queues, o.attrs.num_tcs);
                    }
                    _ => {}
                }
                if o.enabled {
                    s.push_str(" enabled");
                }
                if o.opens > 0 {
                    s.push_str(" open");
                }
                s.push('\n');
            }
            let kids: Vec<u32> = l.containers.iter().filter(|k| k.parent == Some(id)).map(|k| k.id).collect();
            for k in kids {
                walk(l, k, depth + 1, s);
            }
        }
        if let Some(r) = self.root() {
            walk(self, r.id, 0, &mut s);
        }
        let unassigned: Vec<String> =
            self.objects.iter().filter(|o| self.container(o.container).is_none()).map(|o| format!("{}.{}", o.ty.name(), o.id)).collect();
        if !unassigned.is_empty() {
            let _ = writeln!(s, "unassigned: {}", unassigned.join(" "));
        }
        for (a, b) in &self.connections {
            let _ = writeln!(s, "connection {a} <-> {b}");
        }
        s
    }

    /// Counts of objects per type (for summaries).
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for o in &self.objects {
            *m.entry(o.ty.name()).or_insert(0) += 1;
        }
        m
    }
}
