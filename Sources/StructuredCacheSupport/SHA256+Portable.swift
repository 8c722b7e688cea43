// The portable SHA-256 compression function, for CPUs without SHA instructions.

extension SHA256 {
    @inline(__always)
    private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x &>> n) | (x &<< (32 &- n))
    }

    /// One round. The caller rotates the roles of the eight working variables instead of moving
    /// them, and passes `ab`, the previous round's `a ^ b` (this round's `b ^ c`), so that the
    /// majority function costs three operations (the factorings follow OpenSSL's scalar code).
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ ab: inout UInt32
    ) {
        // Σ1(e) = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25); Σ0(a) = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22).
        let sigma1 = rotateRight(rotateRight(rotateRight(e, 14) ^ e, 5) ^ e, 6)
        let sigma0 = rotateRight(rotateRight(rotateRight(a, 9) ^ a, 11) ^ a, 2)
        let t1 = h &+ sigma1 &+ (g ^ (e & (f ^ g))) &+ kw
        let bc = ab
        ab = a ^ b
        let majority = b ^ (ab & bc)
        d &+= t1
        h = t1 &+ sigma0 &+ majority
    }

    /// Compresses `count` 64-byte blocks into `state`.
    ///
    /// The 64 rounds are written out with their constants inline, so that no table pointer or
    /// round counter competes with the eight working variables for registers.
    static func compressPortable(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
            let w = schedule.baseAddress!
            var block = blocks
            for _ in 0..<count {
                for i in 0..<16 {
                    w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
                }
                for i in 16..<64 {
                    // σ0(x) = ror(x, 7) ^ ror(x, 18) ^ (x >> 3); σ1(y) = ror(y, 17) ^ ror(y, 19) ^ (y >> 10).
                    let x = w[i &- 15]
                    let y = w[i &- 2]
                    let s0 = rotateRight(rotateRight(x, 11) ^ x, 7) ^ (x &>> 3)
                    let s1 = rotateRight(rotateRight(y, 2) ^ y, 17) ^ (y &>> 10)
                    w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                }
                var a = state[0]
                var b = state[1]
                var c = state[2]
                var d = state[3]
                var e = state[4]
                var f = state[5]
                var g = state[6]
                var h = state[7]
                var ab = b ^ c
                round(a, b, c, &d, e, f, g, &h, 0x428a_2f98 &+ w[0], &ab)
                round(h, a, b, &c, d, e, f, &g, 0x7137_4491 &+ w[1], &ab)
                round(g, h, a, &b, c, d, e, &f, 0xb5c0_fbcf &+ w[2], &ab)
                round(f, g, h, &a, b, c, d, &e, 0xe9b5_dba5 &+ w[3], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x3956_c25b &+ w[4], &ab)
                round(d, e, f, &g, h, a, b, &c, 0x59f1_11f1 &+ w[5], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x923f_82a4 &+ w[6], &ab)
                round(b, c, d, &e, f, g, h, &a, 0xab1c_5ed5 &+ w[7], &ab)
                round(a, b, c, &d, e, f, g, &h, 0xd807_aa98 &+ w[8], &ab)
                round(h, a, b, &c, d, e, f, &g, 0x1283_5b01 &+ w[9], &ab)
                round(g, h, a, &b, c, d, e, &f, 0x2431_85be &+ w[10], &ab)
                round(f, g, h, &a, b, c, d, &e, 0x550c_7dc3 &+ w[11], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x72be_5d74 &+ w[12], &ab)
                round(d, e, f, &g, h, a, b, &c, 0x80de_b1fe &+ w[13], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x9bdc_06a7 &+ w[14], &ab)
                round(b, c, d, &e, f, g, h, &a, 0xc19b_f174 &+ w[15], &ab)
                round(a, b, c, &d, e, f, g, &h, 0xe49b_69c1 &+ w[16], &ab)
                round(h, a, b, &c, d, e, f, &g, 0xefbe_4786 &+ w[17], &ab)
                round(g, h, a, &b, c, d, e, &f, 0x0fc1_9dc6 &+ w[18], &ab)
                round(f, g, h, &a, b, c, d, &e, 0x240c_a1cc &+ w[19], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x2de9_2c6f &+ w[20], &ab)
                round(d, e, f, &g, h, a, b, &c, 0x4a74_84aa &+ w[21], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x5cb0_a9dc &+ w[22], &ab)
                round(b, c, d, &e, f, g, h, &a, 0x76f9_88da &+ w[23], &ab)
                round(a, b, c, &d, e, f, g, &h, 0x983e_5152 &+ w[24], &ab)
                round(h, a, b, &c, d, e, f, &g, 0xa831_c66d &+ w[25], &ab)
                round(g, h, a, &b, c, d, e, &f, 0xb003_27c8 &+ w[26], &ab)
                round(f, g, h, &a, b, c, d, &e, 0xbf59_7fc7 &+ w[27], &ab)
                round(e, f, g, &h, a, b, c, &d, 0xc6e0_0bf3 &+ w[28], &ab)
                round(d, e, f, &g, h, a, b, &c, 0xd5a7_9147 &+ w[29], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x06ca_6351 &+ w[30], &ab)
                round(b, c, d, &e, f, g, h, &a, 0x1429_2967 &+ w[31], &ab)
                round(a, b, c, &d, e, f, g, &h, 0x27b7_0a85 &+ w[32], &ab)
                round(h, a, b, &c, d, e, f, &g, 0x2e1b_2138 &+ w[33], &ab)
                round(g, h, a, &b, c, d, e, &f, 0x4d2c_6dfc &+ w[34], &ab)
                round(f, g, h, &a, b, c, d, &e, 0x5338_0d13 &+ w[35], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x650a_7354 &+ w[36], &ab)
                round(d, e, f, &g, h, a, b, &c, 0x766a_0abb &+ w[37], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x81c2_c92e &+ w[38], &ab)
                round(b, c, d, &e, f, g, h, &a, 0x9272_2c85 &+ w[39], &ab)
                round(a, b, c, &d, e, f, g, &h, 0xa2bf_e8a1 &+ w[40], &ab)
                round(h, a, b, &c, d, e, f, &g, 0xa81a_664b &+ w[41], &ab)
                round(g, h, a, &b, c, d, e, &f, 0xc24b_8b70 &+ w[42], &ab)
                round(f, g, h, &a, b, c, d, &e, 0xc76c_51a3 &+ w[43], &ab)
                round(e, f, g, &h, a, b, c, &d, 0xd192_e819 &+ w[44], &ab)
                round(d, e, f, &g, h, a, b, &c, 0xd699_0624 &+ w[45], &ab)
                round(c, d, e, &f, g, h, a, &b, 0xf40e_3585 &+ w[46], &ab)
                round(b, c, d, &e, f, g, h, &a, 0x106a_a070 &+ w[47], &ab)
                round(a, b, c, &d, e, f, g, &h, 0x19a4_c116 &+ w[48], &ab)
                round(h, a, b, &c, d, e, f, &g, 0x1e37_6c08 &+ w[49], &ab)
                round(g, h, a, &b, c, d, e, &f, 0x2748_774c &+ w[50], &ab)
                round(f, g, h, &a, b, c, d, &e, 0x34b0_bcb5 &+ w[51], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x391c_0cb3 &+ w[52], &ab)
                round(d, e, f, &g, h, a, b, &c, 0x4ed8_aa4a &+ w[53], &ab)
                round(c, d, e, &f, g, h, a, &b, 0x5b9c_ca4f &+ w[54], &ab)
                round(b, c, d, &e, f, g, h, &a, 0x682e_6ff3 &+ w[55], &ab)
                round(a, b, c, &d, e, f, g, &h, 0x748f_82ee &+ w[56], &ab)
                round(h, a, b, &c, d, e, f, &g, 0x78a5_636f &+ w[57], &ab)
                round(g, h, a, &b, c, d, e, &f, 0x84c8_7814 &+ w[58], &ab)
                round(f, g, h, &a, b, c, d, &e, 0x8cc7_0208 &+ w[59], &ab)
                round(e, f, g, &h, a, b, c, &d, 0x90be_fffa &+ w[60], &ab)
                round(d, e, f, &g, h, a, b, &c, 0xa450_6ceb &+ w[61], &ab)
                round(c, d, e, &f, g, h, a, &b, 0xbef9_a3f7 &+ w[62], &ab)
                round(b, c, d, &e, f, g, h, &a, 0xc671_78f2 &+ w[63], &ab)
                state[0] &+= a
                state[1] &+= b
                state[2] &+= c
                state[3] &+= d
                state[4] &+= e
                state[5] &+= f
                state[6] &+= g
                state[7] &+= h
                block += 64
            }
        }
    }
}
