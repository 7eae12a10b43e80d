//! Camera frames and pictures: quality gates, ID-card finding, QR reading and the face check.
