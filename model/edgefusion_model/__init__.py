"""edgefusion's fusion model: FastestDet (camera) + lidar lifting as one TorchScript module.

The module contract is in docs/MODEL.md; the Rust fusion node (nodes/fusion) runs the export.
"""
