/**
 * Code point tables of RFC 3454 (stringprep) appendices A.1, B.1, C.1.2, C.1.2+C.2-C.9 merged,
 * D.1 and D.2, as used by SASLprep (RFC 4013). Generated from the Unicode 3.2 data the RFC
 * tables are drawn from; do not edit by hand. To regenerate, enumerate 0..0x10FFFF with
 * Python's stdlib `stringprep` module (in_table_a1, b1, c12, c21..c9, d1, d2: the same
 * RFC 3454 tables) and emit the ranges in the encoding below. saslprep's table test checks
 * boundaries.
 *
 * Encoding (dense, because these strings ship in the browser bundle): each table is a flat
 * list of numbers, alternately `gap` (distance from the end of the previous range + 1 to the
 * range start) and `span` (end - start). Each number is written most significant digit
 * first with the characters "(" (0x28) to "[" (0x5B): the last digit is base 32, "(" = 0 ..
 * "G" = 31; any leading digits are base 20, "H" = 0 .. "[" = 19. So "(" is 0, "G" is 31,
 * "I(" is 32 and "J)" is 65. Decoded by saslprep.ts into sorted [start, end] pairs.
 */
export const UNASSIGNED_A1 =
  'Y)(:CJF)IG8J878+*+)*),/()(<(I4(I/0L/(J/(I.)*-8I(I.)/(I/(*-9(?(22C,->)5)*)(B,>1L6)7(6(F*CI<I:R6+(I=):)-*A7+(0)*)>(/()*,))(/)*)+0)+*(-)=.)).+*)>(/(*(*(*))(-+*)+2,().73+(/()(+(>(/(*(-)2(+(+))6),28+(0)*)>(/(*),)0**)+/*+*(++38*(.*+(,**()(****+*0(++-*+(,0)645+(0(+(?(2(-+/(+(,.*0*+29*(0(+(?(2(-+/(+(,.*.)(*+29*(0(+(?(8+.)+(,0)/*+29*(:*@(1())/*)+.()(09+3IB+EI,*())*()))-,(/(+()())*(5(+)-()(.)2)*I)J0(I*-C+0(I,(7))I7I*(-(*(/*,-BJ-I.1I1))+JB,J,,J:-/(IG()(,)/()(,)I/()(,)G()(,)/()(,)/(/(?(G()(,)/(I/(;-DI*J=3[>0E*J965(/2?0<35(+(*3JE*2=7(2-J@/I2JJ=LD+JB->).)I.).)0()()()(G)I=(7(6).(;)+(1(J;+).--0)C8:EC<IC)7.I93YGI8I/@3<LG(P<)*(K-)2K>,(,)D(I+()(,*)(/)I<*@(68D+IL8IOGB(JA3N>A4+J((J>)K/,I0+JF(I0I?I5*I,4I3*J5+I7(K?+K+)G(RM>J1ITU.JAIX5*I?JY@YQ,JCUU6)ICL</3-,B(-()(*(*(K4I(S57J()I>/I5*87,3?)2(;(,+-(L/))(MF*.).).)+*/(/1/IKGG(,3CM<I.)I.LIQ9O>1I/*M<Y)J=(J/(*)))*),(4()(,(*(J)(,)0(/(D(,(-()*/(R:+Q*+I:W[EKNVAITQ0XFJNG*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*MJOE*()EK(MJKE';
export const MAPPED_TO_NOTHING_B1 =
  'M5(II)(PM>(,*KKE*J:(LPTG7O7(';
export const NON_ASCII_SPACE_C12 =
  'M((PVG(KWG3I+(I7(NM((';
export const PROHIBITED_C =
  '(GJGI)IHG)IPC(I9(NK8(T5(KK97@/I7,.-NL(3,(KOKGUKGIZ8GP7(OA.LKW;/ZT+)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF)MJOF))(FJGMJKFRLX)';
export const RAND_AL_CAT_D1 =
  'JMF()(*(4B-,I.(+()A-2I**)K,/(/);,)5*()BJ;I-3(QVE(LOT5()1)4),)()))))K3I)S2:IG*I=I04K;,)L.';
export const L_CAT_D2 =
  'J)A.AI7(2(,(->)F)Q0)9DJE*0*.6)6,1(L3(3()*)();)I3)I-2L*/J,)I-*).7I)I-*.)I.)(IOA()I<++0++(/1*49))/*)*=).)(++,*.)*)2(,))*,3*.2-,)*=).)))))),*@+)(/1**6().)()*)=).))),++0())+(7(-1:))/*)*=).))*++))(.)*)2(,))*,2:()-+*)++))())+)+*+/)*,)))+*)*2(736*)/)*)>)1),/+C),1:))/)*)>)1),,(),*)))1)/()),1:))/)*)>)7,*-*)*2(0),1:))9+?)0)(*.0*./:*4I7))4.04I-))(*))(*(.+).)*)()(*))+))1(*,)(11*)I*?*B)()(-1)I)<(-(*+I:/)-*(I8I)),)))(,(.(/?J0I-2I0*(,JA-J+-J9..)IF)()+*.)()+*I.)()+*F)()+*.)()+*.).)>)F)()+*.)I.):.CI+J<4[=2A-J874)+69+)1964)*7I>//))3.)(+1I.1.J?0I0JJ?LC,JA.=*-*I-*-*/)()()()F*I<).)(+*).++*-,4-*).9(K*(5(L*(,(*1)(+,.()()()+)*).+*-,>I+U:J,B(P.J5LPC*A0/,*,,J=.*)JA)+-I/,JE)I/I@I4+I+DC+I973,I6)K>,K**F)RM=J2ITU-JBIX4J[;YQ+JDUU5*IBL=.4,IT1A.A3J@+-*-*-**IM+F)+4BM=I-*I-LIQ:O=2I.+ID+08)/E,I7Y*J<)J.))*(*)*+)3)()+)))J()+*/).)C)+),)(+.)R9,Q)XI>KNV>ITQ1XEKISK*MJOE*MJOE';
