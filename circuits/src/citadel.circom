pragma circom 2.1.0;

include "bits.circom";
include "citadel_constants.circom";
include "jubjub.circom";
include "merkle_opening.circom";
include "poseidon.circom";

// Citadel licence circuit gadgets (the templates only; the main is citadel_license.circom).
// Compile with --prime bls12381. H is Poseidon Hash::digest(Domain::Other, ..) (PoseidonHash),
// Ht its truncation to 250 bits (PoseidonHashTruncated), ctx(tag) = CITADEL_CONTEXT(tag), the
// contexts of deployment 0 generated from chain/crypto/citadel.py (citadel_constants.circom),
// G and G' Dusk's GENERATOR and GENERATOR_NUMS.
// Source: /work/shared/reference/dusk-protocol.md §6 (Citadel) and §8; dusk-network/citadel
// b379be431277e23524aadb79264a1579903fabc5, core/src/zk/gadgets.rs (use_license,
// verify_license_signature, verify_session_auth_signature, assert_valid_witness_point), read to
// learn the statement; this is an independent circom formulation. The Python oracle is
// chain.crypto.citadel (check_license_statement, check_gloam_license_statement).

// JubjubScalarBits(): out[i] is bit i (little-endian) of in, and in <= r_J - 1: a canonical
// Jubjub scalar, as chain.crypto.jubjub.check_scalar asks (the reference refuses a scalar >= r_J
// everywhere the circuit takes one). The comparison runs most significant bit first as in
// FieldBits. 253 + 116 constraints (r_J - 1 has 116 one bits; the copies are linear).
template JubjubScalarBits() {
    signal input in;
    signal output out[252];

    component bits = Bits(252);
    bits.in <== in;
    out <== bits.out;

    var c = JUBJUB_ORDER_MINUS_ONE();
    signal eq[252];
    var prefix = 1;
    for (var i = 251; i >= 0; i--) {
        if (((c >> i) & 1) == 1) {
            eq[i] <== prefix * out[i];
        } else {
            prefix * out[i] === 0;
            eq[i] <== prefix;
        }
        prefix = eq[i];
    }
}

// CitadelValidPoint(): Dusk's assert_valid_witness_point: p is on the curve, not the identity,
// and [8]p is not the identity (p is not of small order). Points with a torsion component are
// accepted, as upstream does (a prime-order check would be JubjubPrimeOrder). [8]p lies in the
// prime-order subgroup, whose only point with x = 0 is the identity, so "[8]p.x is invertible"
// is "[8]p != O", which also excludes p = O. 3 + 15 + 1 = 19 constraints.
template CitadelValidPoint() {
    signal input p[2];

    component onCurve = JubjubOnCurve();
    onCurve.x <== p[0];
    onCurve.y <== p[1];
    component dbl[3];
    for (var i = 0; i < 3; i++) {
        dbl[i] = JubjubDouble();
        if (i == 0) {
            dbl[i].x <== p[0];
            dbl[i].y <== p[1];
        } else {
            dbl[i].x <== dbl[i - 1].x2;
            dbl[i].y <== dbl[i - 1].y2;
        }
    }
    signal inverse <-- dbl[2].x2 != 0 ? 1 / dbl[2].x2 : 0;
    inverse * dbl[2].x2 === 1;
}

// CitadelSessionId(): sessionId == H(ctx(SESSION_ID), lpk'.u, lpk'.v, c) (helpers::session_id).
template CitadelSessionId() {
    signal input lpkPrime[2];
    signal input c;
    signal input sessionId;

    component h = PoseidonHash(4);
    h.in <== [CITADEL_CONTEXT(8), lpkPrime[0], lpkPrime[1], c];
    h.out === sessionId;
}

// CitadelLicenseSignature(): the LP's Citadel Schnorr signature (z, R) under pk (pk_lp.A) over
// msg_lic = H(ctx(LICENSE_SIG_MSG), lpk.u, lpk.v, attr_data): [z]G == R + [ch]pk with
// ch = Ht(ctx(LICENSE_SIG_CHALLENGE), pk.u, pk.v, R.u, R.v, msg_lic) (signatures.rs; not the
// jubjub-schnorr transcript of schnorr.circom). z is a canonical Jubjub scalar. The points are
// checked by the caller (CitadelValidPoint). About 305 + 610 + 511 + 369 + 750 + 2,745 + 6.
template CitadelLicenseSignature() {
    signal input lpk[2];
    signal input attrData;
    signal input pk[2];
    signal input r[2];
    signal input z;

    component message = PoseidonHash(4);
    message.in <== [CITADEL_CONTEXT(5), lpk[0], lpk[1], attrData];
    component challenge = PoseidonHashTruncated(6);
    challenge.in <== [CITADEL_CONTEXT(11), pk[0], pk[1], r[0], r[1], message.out];

    component zBits = JubjubScalarBits();
    zBits.in <== z;
    component zG = JubjubFixedBaseMul(252, 0);
    zG.bits <== zBits.out;
    component chPk = JubjubScalarMul(250);
    chPk.bits <== challenge.bits;
    chPk.px <== pk[0];
    chPk.py <== pk[1];
    component rhs = JubjubAdd();
    rhs.x1 <== r[0];
    rhs.y1 <== r[1];
    rhs.x2 <== chPk.x;
    rhs.y2 <== chPk.y;
    zG.x === rhs.x3;
    zG.y === rhs.y3;
}

// CitadelLpCommitment(): com0 == H(ctx(LP_COMMITMENT), pk_lp.A.u, pk_lp.A.v, s_0)
// (helpers::lp_commitment).
template CitadelLpCommitment() {
    signal input pkLp[2];
    signal input s0;
    signal input com0;

    component h = PoseidonHash(4);
    h.in <== [CITADEL_CONTEXT(9), pkLp[0], pkLp[1], s0];
    h.out === com0;
}

// CitadelCommitment(nValueBits): com == [value]G + [blinder]G', value and blinder given as bits
// (little-endian, already boolean: the caller's decompositions). com_1 (value attr_data, 250
// bits) and com_2 (value c, 252 bits). 3 * ceil(n / 3) + 6 * (ceil(n / 3) - 1) + 750 + 6.
template CitadelCommitment(nValueBits) {
    signal input valueBits[nValueBits];
    signal input blinderBits[252];
    signal input com[2];

    component valueG = JubjubFixedBaseMul(nValueBits, 0);
    valueG.bits <== valueBits;
    component blinderG = JubjubFixedBaseMul(252, 1);
    blinderG.bits <== blinderBits;
    component sum = JubjubAdd();
    sum.x1 <== valueG.x;
    sum.y1 <== valueG.y;
    sum.x2 <== blinderG.x;
    sum.y2 <== blinderG.y;
    sum.x3 === com[0];
    sum.y3 === com[1];
}

// CitadelSessionSignature(): the double-key signature (z, R, R') of lsk over
// session_auth = H(ctx(SESSION_AUTH), the 8 public inputs): [z]G == R + [ch]lpk and
// [z]G' == R' + [ch]lpk' with ch = Ht(ctx(SESSION_SIG_CHALLENGE), lpk.u, lpk.v, lpk'.u, lpk'.v,
// R.u, R.v, R'.u, R'.v, session_auth) (signatures.rs). One z and one ch for both equations: lpk
// and lpk' have the same discrete logarithm to G and G'. z is a canonical Jubjub scalar.
template CitadelSessionSignature() {
    signal input publicInputs[8];
    signal input lpk[2];
    signal input lpkPrime[2];
    signal input r[2];
    signal input rPrime[2];
    signal input z;

    component auth = PoseidonHash(9);
    auth.in <== [CITADEL_CONTEXT(7), publicInputs[0], publicInputs[1], publicInputs[2], publicInputs[3], publicInputs[4], publicInputs[5], publicInputs[6], publicInputs[7]];
    component challenge = PoseidonHashTruncated(10);
    challenge.in <== [CITADEL_CONTEXT(12), lpk[0], lpk[1], lpkPrime[0], lpkPrime[1], r[0], r[1], rPrime[0], rPrime[1], auth.out];

    component zBits = JubjubScalarBits();
    zBits.in <== z;

    component zG = JubjubFixedBaseMul(252, 0);
    zG.bits <== zBits.out;
    component chPk = JubjubScalarMul(250);
    chPk.bits <== challenge.bits;
    chPk.px <== lpk[0];
    chPk.py <== lpk[1];
    component rhs = JubjubAdd();
    rhs.x1 <== r[0];
    rhs.y1 <== r[1];
    rhs.x2 <== chPk.x;
    rhs.y2 <== chPk.y;
    zG.x === rhs.x3;
    zG.y === rhs.y3;

    component zGPrime = JubjubFixedBaseMul(252, 1);
    zGPrime.bits <== zBits.out;
    component chPkPrime = JubjubScalarMul(250);
    chPkPrime.bits <== challenge.bits;
    chPkPrime.px <== lpkPrime[0];
    chPkPrime.py <== lpkPrime[1];
    component rhsPrime = JubjubAdd();
    rhsPrime.x1 <== rPrime[0];
    rhsPrime.y1 <== rPrime[1];
    rhsPrime.x2 <== chPkPrime.x;
    rhsPrime.y2 <== chPkPrime.y;
    zGPrime.x === rhsPrime.x3;
    zGPrime.y === rhsPrime.y3;
}

// CitadelMembership(depth): the licence leaf H(ctx(LICENSE_HASH), lpk.u, lpk.v)
// (helpers::license_hash) is at `position` of the 4-ary Poseidon tree with root `root`
// (MerkleOpening, as chain.crypto.poseidon_merkle.verify_opening).
template CitadelMembership(depth) {
    signal input lpk[2];
    signal input position;
    signal input siblings[depth][3];
    signal input root;

    component leaf = PoseidonHash(3);
    leaf.in <== [CITADEL_CONTEXT(4), lpk[0], lpk[1]];
    component opening = MerkleOpening(depth);
    opening.leaf <== leaf.out;
    opening.position <== position;
    opening.siblings <== siblings;
    opening.root === root;
}

// GloamAttributeData(): Gloam's schema of 4 attributes [jurisdiction, accredited, birth_date,
// expiry] (chain.crypto.citadel.GloamAttributes.to_fields) hashed as
// digest = H(ctx(ATTR_DATA), 4, a_1, a_2, a_3, a_4) (attributes_digest) and
// attr_data = Ht(ctx(ATTR_DATA), schema_id, digest, r_attr) (helpers::attr_data); r_attr is a
// canonical Jubjub scalar. Outputs attr_data (< 2^250) and its 250 bits.
template GloamAttributeData() {
    signal input attributes[4];
    signal input schemaId;
    signal input rAttr;
    signal output attrData;
    signal output bits[250];

    component digest = PoseidonHash(6);
    digest.in <== [CITADEL_CONTEXT(13), 4, attributes[0], attributes[1], attributes[2], attributes[3]];
    component rAttrBits = JubjubScalarBits();
    rAttrBits.in <== rAttr;
    component data = PoseidonHashTruncated(4);
    data.in <== [CITADEL_CONTEXT(13), schemaId, digest.out, rAttr];
    attrData <== data.out;
    bits <== data.bits;
}

// GloamDay(): in is a day count (days since 1970-01-01, negative before) that fits a signed
// 32-bit integer: in + 2^31 < 2^32, in read as the field element of the integer (p - n for -n).
template GloamDay() {
    signal input in;

    component range = InRange(32);
    range.in <== in + 2147483648;
}

// GloamNotAfter(): a <= b for two GloamDay values: b - a in [0, 2^32). Both lie in
// [-2^31, 2^31), so b - a lies in (-2^32, 2^32) and a negative difference is a field element
// p - n with n <= 2^32, far above 2^32: the range refuses it.
template GloamNotAfter() {
    signal input a;
    signal input b;

    component range = InRange(32);
    range.in <== b - a;
}

// GloamAdult(): birthDate <= adultCutoff (the holder was born on or before the cutoff day).
template GloamAdult() {
    signal input birthDate;
    signal input adultCutoff;

    component order = GloamNotAfter();
    order.a <== birthDate;
    order.b <== adultCutoff;
}

// GloamNotExpired(): today <= expiry (a licence expiring today is still valid).
template GloamNotExpired() {
    signal input expiry;
    signal input today;

    component order = GloamNotAfter();
    order.a <== today;
    order.b <== expiry;
}

// GloamJurisdiction(K): 1 <= jurisdiction <= 999 (ISO 3166-1 numeric; jurisdiction - 1 and
// 999 - jurisdiction both below 2^10) and jurisdiction equals one of allowed[K]: the product
// of (jurisdiction - allowed[i]) is 0. An unused slot is 0, which no jurisdiction equals.
template GloamJurisdiction(K) {
    signal input jurisdiction;
    signal input allowed[K];

    component low = InRange(10);
    low.in <== jurisdiction - 1;
    component high = InRange(10);
    high.in <== 999 - jurisdiction;

    signal product[K];
    product[0] <== jurisdiction - allowed[0];
    for (var i = 1; i < K; i++) {
        product[i] <== product[i - 1] * (jurisdiction - allowed[i]);
    }
    product[K - 1] === 0;
}

// GloamAccredited(): accredited and requireAccredited are 0 or 1, and requireAccredited = 1
// forces accredited = 1.
template GloamAccredited() {
    signal input accredited;
    signal input requireAccredited;

    accredited * (accredited - 1) === 0;
    requireAccredited * (requireAccredited - 1) === 0;
    requireAccredited * (1 - accredited) === 0;
}

// CitadelLicense(depth, K): Dusk's use_license gadget (LicenseCircuit<depth>) with Gloam's
// attribute predicates. Public inputs, in snarkjs's public.json order:
//   Dusk's 8, in Dusk's order: sessionId, sessionHash, com0, com1 (u, v), com2 (u, v), root;
//   Gloam's: challenge (c in clear), pkLp (pk_lp.A: u, v), today, adultCutoff,
//   requireAccredited, allowedJurisdictions[K].
// Witness: lpk, lpkPrime (points), sigLicZ, sigLicR (the LP signature), s0, s1, s2 (the
//   commitment blinders), sigSessionZ, sigSessionR, sigSessionRPrime (the session signature),
//   position, siblings[depth][3] (the licence's opening), schemaId, rAttr, jurisdiction,
//   accredited, birthDate, expiry (the attribute opening).
// Satisfiable exactly when, in the gadget's order (chain.crypto.citadel.check_gloam_license_statement
// checks the same in clear):
//  1. lpk and lpk' are valid witness points (on the curve, not the identity, not of small order);
//  2. c = challenge is a canonical Jubjub scalar and sessionId = H(ctx(SESSION_ID), lpk', c);
//  3. sigLicR and pkLp are valid witness points, attr_data = Ht(ctx(ATTR_DATA), schemaId,
//     H(ctx(ATTR_DATA), 4, jurisdiction, accredited, birthDate, expiry), rAttr) and (sigLicZ,
//     sigLicR) is the Citadel Schnorr signature under pkLp of H(ctx(LICENSE_SIG_MSG), lpk, attr_data);
//  4. com0 = H(ctx(LP_COMMITMENT), pkLp, s0);
//  5. com1 = [attr_data]G + [s1]G';  6. com2 = [c]G + [s2]G' (s1, s2 canonical Jubjub scalars);
//  7. sigSessionR, sigSessionRPrime are valid witness points and the double-key signature holds
//     over H(ctx(SESSION_AUTH), Dusk's 8 public inputs) under (lpk, lpk');
//  8. H(ctx(LICENSE_HASH), lpk) is at `position` of the depth-`depth` 4-ary tree with `root`;
//  9. Gloam's predicates: today, adultCutoff, birthDate, expiry are signed 32-bit day counts;
//     1 <= jurisdiction <= 999 and it is one of allowedJurisdictions; accredited and
//     requireAccredited are 0/1 and requireAccredited = 1 needs accredited = 1;
//     birthDate <= adultCutoff; today <= expiry.
// Deviations from Dusk: the challenge and pk_lp.A are public (Dusk keeps c inside com_2 and
// pk_lp inside com_0); attr_data is recomputed from the attributes instead of being a free
// witness; every Jubjub scalar the circuit takes (c, s1, s2, both z, rAttr) must be canonical.
template CitadelLicense(depth, K) {
    signal input sessionId;
    signal input sessionHash;
    signal input com0;
    signal input com1[2];
    signal input com2[2];
    signal input root;
    signal input challenge;
    signal input pkLp[2];
    signal input today;
    signal input adultCutoff;
    signal input requireAccredited;
    signal input allowedJurisdictions[K];

    signal input lpk[2];
    signal input lpkPrime[2];
    signal input sigLicZ;
    signal input sigLicR[2];
    signal input s0;
    signal input s1;
    signal input s2;
    signal input sigSessionZ;
    signal input sigSessionR[2];
    signal input sigSessionRPrime[2];
    signal input position;
    signal input siblings[depth][3];
    signal input schemaId;
    signal input rAttr;
    signal input jurisdiction;
    signal input accredited;
    signal input birthDate;
    signal input expiry;

    // 1. the user's licence keys
    component lpkValid = CitadelValidPoint();
    lpkValid.p <== lpk;
    component lpkPrimeValid = CitadelValidPoint();
    lpkPrimeValid.p <== lpkPrime;

    // 2. the session id
    component cBits = JubjubScalarBits();
    cBits.in <== challenge;
    component sid = CitadelSessionId();
    sid.lpkPrime <== lpkPrime;
    sid.c <== challenge;
    sid.sessionId <== sessionId;

    // 3. the LP's signature over the licence, attr_data recomputed from the attributes
    component sigLicRValid = CitadelValidPoint();
    sigLicRValid.p <== sigLicR;
    component pkLpValid = CitadelValidPoint();
    pkLpValid.p <== pkLp;
    component attr = GloamAttributeData();
    attr.attributes <== [jurisdiction, accredited, birthDate, expiry];
    attr.schemaId <== schemaId;
    attr.rAttr <== rAttr;
    component sigLic = CitadelLicenseSignature();
    sigLic.lpk <== lpk;
    sigLic.attrData <== attr.attrData;
    sigLic.pk <== pkLp;
    sigLic.r <== sigLicR;
    sigLic.z <== sigLicZ;

    // 4. com_0
    component lpCommitment = CitadelLpCommitment();
    lpCommitment.pkLp <== pkLp;
    lpCommitment.s0 <== s0;
    lpCommitment.com0 <== com0;

    // 5. com_1 = attr_data.G + s_1.G'
    component s1Bits = JubjubScalarBits();
    s1Bits.in <== s1;
    component attrCommitment = CitadelCommitment(250);
    attrCommitment.valueBits <== attr.bits;
    attrCommitment.blinderBits <== s1Bits.out;
    attrCommitment.com <== com1;

    // 6. com_2 = c.G + s_2.G'
    component s2Bits = JubjubScalarBits();
    s2Bits.in <== s2;
    component challengeCommitment = CitadelCommitment(252);
    challengeCommitment.valueBits <== cBits.out;
    challengeCommitment.blinderBits <== s2Bits.out;
    challengeCommitment.com <== com2;

    // 7. the session authorisation
    component sigSessionRValid = CitadelValidPoint();
    sigSessionRValid.p <== sigSessionR;
    component sigSessionRPrimeValid = CitadelValidPoint();
    sigSessionRPrimeValid.p <== sigSessionRPrime;
    component sigSession = CitadelSessionSignature();
    sigSession.publicInputs <== [sessionId, sessionHash, com0, com1[0], com1[1], com2[0], com2[1], root];
    sigSession.lpk <== lpk;
    sigSession.lpkPrime <== lpkPrime;
    sigSession.r <== sigSessionR;
    sigSession.rPrime <== sigSessionRPrime;
    sigSession.z <== sigSessionZ;

    // 8. the licence is in the tree
    component membership = CitadelMembership(depth);
    membership.lpk <== lpk;
    membership.position <== position;
    membership.siblings <== siblings;
    membership.root <== root;

    // 9. Gloam's predicates over the signed attributes
    component days[4];
    var dayValues[4] = [today, adultCutoff, birthDate, expiry];
    for (var i = 0; i < 4; i++) {
        days[i] = GloamDay();
        days[i].in <== dayValues[i];
    }
    component inJurisdiction = GloamJurisdiction(K);
    inJurisdiction.jurisdiction <== jurisdiction;
    inJurisdiction.allowed <== allowedJurisdictions;
    component isAccredited = GloamAccredited();
    isAccredited.accredited <== accredited;
    isAccredited.requireAccredited <== requireAccredited;
    component adult = GloamAdult();
    adult.birthDate <== birthDate;
    adult.adultCutoff <== adultCutoff;
    component notExpired = GloamNotExpired();
    notExpired.expiry <== expiry;
    notExpired.today <== today;
}
