//! Reading the ID card: PP-OCRv5 text detection and recognition, the number checked by its GB 11643 digit.
