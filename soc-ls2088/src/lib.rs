//! `soc-ls2088`: the LS2088A-RDB board as data (`board.rs`) and the machine built from it.
