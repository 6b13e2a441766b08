"""THE opcode table: every instruction once, with its immediates and what they index.

One row per instruction:  CODE  NAME  IMMEDIATES  @FEATURE  [: PARAMS -> RESULTS]

CODE is a byte (0x6A) or prefix:u32 (0xFC:8). Each immediate is one of the kinds in
`spaces.KINDS`; an index immediate is named by the index space it indexes, so the
decoder, encoder, validator, remapper and interpreter all learn from the same row.
`memarg=N` carries the natural alignment (log2); `laneN` a lane index below N. The
signature is given for instructions whose operand types are fixed; `addr` stands for
the memory's address type (i32, or i64 for memory64). Instructions without one
(control, variables, references, tables, GC) are typed by the validator by name.
"""

from .leb import write_unsigned
from .spaces import KINDS, spaces_of

TABLE = """
0x00     unreachable                                                   @mvp
0x01     nop                                                           @mvp
0x02     block                                blocktype                @mvp
0x03     loop                                 blocktype                @mvp
0x04     if                                   blocktype                @mvp
0x05     else                                                          @mvp
0x06     try                                  blocktype                @legacy-exceptions
0x07     catch                                tag                      @legacy-exceptions
0x08     throw                                tag                      @exceptions
0x09     rethrow                              label                    @legacy-exceptions
0x0A     throw_ref                                                     @exceptions
0x0B     end                                                           @mvp
0x0C     br                                   label                    @mvp
0x0D     br_if                                label                    @mvp
0x0E     br_table                             labels                   @mvp
0x0F     return                                                        @mvp
0x10     call                                 func                     @mvp
0x11     call_indirect                        type table               @mvp
0x12     return_call                          func                     @tail-call
0x13     return_call_indirect                 type table               @tail-call
0x14     call_ref                             type                     @function-references
0x15     return_call_ref                      type                     @function-references
0x18     delegate                             label                    @legacy-exceptions
0x19     catch_all                                                     @legacy-exceptions
0x1A     drop                                                          @mvp
0x1B     select                                                        @mvp
0x1C     select_t                             valtypes                 @reference-types
0x1F     try_table                            blocktype catches        @exceptions
0x20     local.get                            local                    @mvp
0x21     local.set                            local                    @mvp
0x22     local.tee                            local                    @mvp
0x23     global.get                           global                   @mvp
0x24     global.set                           global                   @mvp
0x25     table.get                            table                    @reference-types
0x26     table.set                            table                    @reference-types
0x28     i32.load                             memarg=2                 @mvp                : addr -> i32
0x29     i64.load                             memarg=3                 @mvp                : addr -> i64
0x2A     f32.load                             memarg=2                 @mvp                : addr -> f32
0x2B     f64.load                             memarg=3                 @mvp                : addr -> f64
0x2C     i32.load8_s                          memarg=0                 @mvp                : addr -> i32
0x2D     i32.load8_u                          memarg=0                 @mvp                : addr -> i32
0x2E     i32.load16_s                         memarg=1                 @mvp                : addr -> i32
0x2F     i32.load16_u                         memarg=1                 @mvp                : addr -> i32
0x30     i64.load8_s                          memarg=0                 @mvp                : addr -> i64
0x31     i64.load8_u                          memarg=0                 @mvp                : addr -> i64
0x32     i64.load16_s                         memarg=1                 @mvp                : addr -> i64
0x33     i64.load16_u                         memarg=1                 @mvp                : addr -> i64
0x34     i64.load32_s                         memarg=2                 @mvp                : addr -> i64
0x35     i64.load32_u                         memarg=2                 @mvp                : addr -> i64
0x36     i32.store                            memarg=2                 @mvp                : addr i32 ->
0x37     i64.store                            memarg=3                 @mvp                : addr i64 ->
0x38     f32.store                            memarg=2                 @mvp                : addr f32 ->
0x39     f64.store                            memarg=3                 @mvp                : addr f64 ->
0x3A     i32.store8                           memarg=0                 @mvp                : addr i32 ->
0x3B     i32.store16                          memarg=1                 @mvp                : addr i32 ->
0x3C     i64.store8                           memarg=0                 @mvp                : addr i64 ->
0x3D     i64.store16                          memarg=1                 @mvp                : addr i64 ->
0x3E     i64.store32                          memarg=2                 @mvp                : addr i64 ->
0x3F     memory.size                          memory                   @mvp                : -> addr
0x40     memory.grow                          memory                   @mvp                : addr -> addr
0x41     i32.const                            i32                      @mvp                : -> i32
0x42     i64.const                            i64                      @mvp                : -> i64
0x43     f32.const                            f32                      @mvp                : -> f32
0x44     f64.const                            f64                      @mvp                : -> f64
0x45     i32.eqz                                                       @mvp                : i32 -> i32
0x46     i32.eq                                                        @mvp                : i32 i32 -> i32
0x47     i32.ne                                                        @mvp                : i32 i32 -> i32
0x48     i32.lt_s                                                      @mvp                : i32 i32 -> i32
0x49     i32.lt_u                                                      @mvp                : i32 i32 -> i32
0x4A     i32.gt_s                                                      @mvp                : i32 i32 -> i32
0x4B     i32.gt_u                                                      @mvp                : i32 i32 -> i32
0x4C     i32.le_s                                                      @mvp                : i32 i32 -> i32
0x4D     i32.le_u                                                      @mvp                : i32 i32 -> i32
0x4E     i32.ge_s                                                      @mvp                : i32 i32 -> i32
0x4F     i32.ge_u                                                      @mvp                : i32 i32 -> i32
0x50     i64.eqz                                                       @mvp                : i64 -> i32
0x51     i64.eq                                                        @mvp                : i64 i64 -> i32
0x52     i64.ne                                                        @mvp                : i64 i64 -> i32
0x53     i64.lt_s                                                      @mvp                : i64 i64 -> i32
0x54     i64.lt_u                                                      @mvp                : i64 i64 -> i32
0x55     i64.gt_s                                                      @mvp                : i64 i64 -> i32
0x56     i64.gt_u                                                      @mvp                : i64 i64 -> i32
0x57     i64.le_s                                                      @mvp                : i64 i64 -> i32
0x58     i64.le_u                                                      @mvp                : i64 i64 -> i32
0x59     i64.ge_s                                                      @mvp                : i64 i64 -> i32
0x5A     i64.ge_u                                                      @mvp                : i64 i64 -> i32
0x5B     f32.eq                                                        @mvp                : f32 f32 -> i32
0x5C     f32.ne                                                        @mvp                : f32 f32 -> i32
0x5D     f32.lt                                                        @mvp                : f32 f32 -> i32
0x5E     f32.gt                                                        @mvp                : f32 f32 -> i32
0x5F     f32.le                                                        @mvp                : f32 f32 -> i32
0x60     f32.ge                                                        @mvp                : f32 f32 -> i32
0x61     f64.eq                                                        @mvp                : f64 f64 -> i32
0x62     f64.ne                                                        @mvp                : f64 f64 -> i32
0x63     f64.lt                                                        @mvp                : f64 f64 -> i32
0x64     f64.gt                                                        @mvp                : f64 f64 -> i32
0x65     f64.le                                                        @mvp                : f64 f64 -> i32
0x66     f64.ge                                                        @mvp                : f64 f64 -> i32
0x67     i32.clz                                                       @mvp                : i32 -> i32
0x68     i32.ctz                                                       @mvp                : i32 -> i32
0x69     i32.popcnt                                                    @mvp                : i32 -> i32
0x6A     i32.add                                                       @mvp                : i32 i32 -> i32
0x6B     i32.sub                                                       @mvp                : i32 i32 -> i32
0x6C     i32.mul                                                       @mvp                : i32 i32 -> i32
0x6D     i32.div_s                                                     @mvp                : i32 i32 -> i32
0x6E     i32.div_u                                                     @mvp                : i32 i32 -> i32
0x6F     i32.rem_s                                                     @mvp                : i32 i32 -> i32
0x70     i32.rem_u                                                     @mvp                : i32 i32 -> i32
0x71     i32.and                                                       @mvp                : i32 i32 -> i32
0x72     i32.or                                                        @mvp                : i32 i32 -> i32
0x73     i32.xor                                                       @mvp                : i32 i32 -> i32
0x74     i32.shl                                                       @mvp                : i32 i32 -> i32
0x75     i32.shr_s                                                     @mvp                : i32 i32 -> i32
0x76     i32.shr_u                                                     @mvp                : i32 i32 -> i32
0x77     i32.rotl                                                      @mvp                : i32 i32 -> i32
0x78     i32.rotr                                                      @mvp                : i32 i32 -> i32
0x79     i64.clz                                                       @mvp                : i64 -> i64
0x7A     i64.ctz                                                       @mvp                : i64 -> i64
0x7B     i64.popcnt                                                    @mvp                : i64 -> i64
0x7C     i64.add                                                       @mvp                : i64 i64 -> i64
0x7D     i64.sub                                                       @mvp                : i64 i64 -> i64
0x7E     i64.mul                                                       @mvp                : i64 i64 -> i64
0x7F     i64.div_s                                                     @mvp                : i64 i64 -> i64
0x80     i64.div_u                                                     @mvp                : i64 i64 -> i64
0x81     i64.rem_s                                                     @mvp                : i64 i64 -> i64
0x82     i64.rem_u                                                     @mvp                : i64 i64 -> i64
0x83     i64.and                                                       @mvp                : i64 i64 -> i64
0x84     i64.or                                                        @mvp                : i64 i64 -> i64
0x85     i64.xor                                                       @mvp                : i64 i64 -> i64
0x86     i64.shl                                                       @mvp                : i64 i64 -> i64
0x87     i64.shr_s                                                     @mvp                : i64 i64 -> i64
0x88     i64.shr_u                                                     @mvp                : i64 i64 -> i64
0x89     i64.rotl                                                      @mvp                : i64 i64 -> i64
0x8A     i64.rotr                                                      @mvp                : i64 i64 -> i64
0x8B     f32.abs                                                       @mvp                : f32 -> f32
0x8C     f32.neg                                                       @mvp                : f32 -> f32
0x8D     f32.ceil                                                      @mvp                : f32 -> f32
0x8E     f32.floor                                                     @mvp                : f32 -> f32
0x8F     f32.trunc                                                     @mvp                : f32 -> f32
0x90     f32.nearest                                                   @mvp                : f32 -> f32
0x91     f32.sqrt                                                      @mvp                : f32 -> f32
0x92     f32.add                                                       @mvp                : f32 f32 -> f32
0x93     f32.sub                                                       @mvp                : f32 f32 -> f32
0x94     f32.mul                                                       @mvp                : f32 f32 -> f32
0x95     f32.div                                                       @mvp                : f32 f32 -> f32
0x96     f32.min                                                       @mvp                : f32 f32 -> f32
0x97     f32.max                                                       @mvp                : f32 f32 -> f32
0x98     f32.copysign                                                  @mvp                : f32 f32 -> f32
0x99     f64.abs                                                       @mvp                : f64 -> f64
0x9A     f64.neg                                                       @mvp                : f64 -> f64
0x9B     f64.ceil                                                      @mvp                : f64 -> f64
0x9C     f64.floor                                                     @mvp                : f64 -> f64
0x9D     f64.trunc                                                     @mvp                : f64 -> f64
0x9E     f64.nearest                                                   @mvp                : f64 -> f64
0x9F     f64.sqrt                                                      @mvp                : f64 -> f64
0xA0     f64.add                                                       @mvp                : f64 f64 -> f64
0xA1     f64.sub                                                       @mvp                : f64 f64 -> f64
0xA2     f64.mul                                                       @mvp                : f64 f64 -> f64
0xA3     f64.div                                                       @mvp                : f64 f64 -> f64
0xA4     f64.min                                                       @mvp                : f64 f64 -> f64
0xA5     f64.max                                                       @mvp                : f64 f64 -> f64
0xA6     f64.copysign                                                  @mvp                : f64 f64 -> f64
0xA7     i32.wrap_i64                                                  @mvp                : i64 -> i32
0xA8     i32.trunc_f32_s                                               @mvp                : f32 -> i32
0xA9     i32.trunc_f32_u                                               @mvp                : f32 -> i32
0xAA     i32.trunc_f64_s                                               @mvp                : f64 -> i32
0xAB     i32.trunc_f64_u                                               @mvp                : f64 -> i32
0xAC     i64.extend_i32_s                                              @mvp                : i32 -> i64
0xAD     i64.extend_i32_u                                              @mvp                : i32 -> i64
0xAE     i64.trunc_f32_s                                               @mvp                : f32 -> i64
0xAF     i64.trunc_f32_u                                               @mvp                : f32 -> i64
0xB0     i64.trunc_f64_s                                               @mvp                : f64 -> i64
0xB1     i64.trunc_f64_u                                               @mvp                : f64 -> i64
0xB2     f32.convert_i32_s                                             @mvp                : i32 -> f32
0xB3     f32.convert_i32_u                                             @mvp                : i32 -> f32
0xB4     f32.convert_i64_s                                             @mvp                : i64 -> f32
0xB5     f32.convert_i64_u                                             @mvp                : i64 -> f32
0xB6     f32.demote_f64                                                @mvp                : f64 -> f32
0xB7     f64.convert_i32_s                                             @mvp                : i32 -> f64
0xB8     f64.convert_i32_u                                             @mvp                : i32 -> f64
0xB9     f64.convert_i64_s                                             @mvp                : i64 -> f64
0xBA     f64.convert_i64_u                                             @mvp                : i64 -> f64
0xBB     f64.promote_f32                                               @mvp                : f32 -> f64
0xBC     i32.reinterpret_f32                                           @mvp                : f32 -> i32
0xBD     i64.reinterpret_f64                                           @mvp                : f64 -> i64
0xBE     f32.reinterpret_i32                                           @mvp                : i32 -> f32
0xBF     f64.reinterpret_i64                                           @mvp                : i64 -> f64
0xC0     i32.extend8_s                                                 @sign-extension     : i32 -> i32
0xC1     i32.extend16_s                                                @sign-extension     : i32 -> i32
0xC2     i64.extend8_s                                                 @sign-extension     : i64 -> i64
0xC3     i64.extend16_s                                                @sign-extension     : i64 -> i64
0xC4     i64.extend32_s                                                @sign-extension     : i64 -> i64
0xD0     ref.null                             heaptype                 @reference-types
0xD1     ref.is_null                                                   @reference-types
0xD2     ref.func                             func                     @reference-types
0xD3     ref.eq                                                        @gc
0xD4     ref.as_non_null                                               @function-references
0xD5     br_on_null                           label                    @function-references
0xD6     br_on_non_null                       label                    @function-references
0xFB:0   struct.new                           type                     @gc
0xFB:1   struct.new_default                   type                     @gc
0xFB:2   struct.get                           type field               @gc
0xFB:3   struct.get_s                         type field               @gc
0xFB:4   struct.get_u                         type field               @gc
0xFB:5   struct.set                           type field               @gc
0xFB:6   array.new                            type                     @gc
0xFB:7   array.new_default                    type                     @gc
0xFB:8   array.new_fixed                      type u32                 @gc
0xFB:9   array.new_data                       type data                @gc
0xFB:10  array.new_elem                       type elem                @gc
0xFB:11  array.get                            type                     @gc
0xFB:12  array.get_s                          type                     @gc
0xFB:13  array.get_u                          type                     @gc
0xFB:14  array.set                            type                     @gc
0xFB:15  array.len                                                     @gc
0xFB:16  array.fill                           type                     @gc
0xFB:17  array.copy                           type type                @gc
0xFB:18  array.init_data                      type data                @gc
0xFB:19  array.init_elem                      type elem                @gc
0xFB:20  ref.test                             heaptype                 @gc
0xFB:21  ref.test_null                        heaptype                 @gc
0xFB:22  ref.cast                             heaptype                 @gc
0xFB:23  ref.cast_null                        heaptype                 @gc
0xFB:24  br_on_cast                           castflags label heaptype heaptype @gc
0xFB:25  br_on_cast_fail                      castflags label heaptype heaptype @gc
0xFB:26  any.convert_extern                                            @gc
0xFB:27  extern.convert_any                                            @gc
0xFB:28  ref.i31                                                       @gc
0xFB:29  i31.get_s                                                     @gc
0xFB:30  i31.get_u                                                     @gc
0xFC:0   i32.trunc_sat_f32_s                                           @sat-float-to-int   : f32 -> i32
0xFC:1   i32.trunc_sat_f32_u                                           @sat-float-to-int   : f32 -> i32
0xFC:2   i32.trunc_sat_f64_s                                           @sat-float-to-int   : f64 -> i32
0xFC:3   i32.trunc_sat_f64_u                                           @sat-float-to-int   : f64 -> i32
0xFC:4   i64.trunc_sat_f32_s                                           @sat-float-to-int   : f32 -> i64
0xFC:5   i64.trunc_sat_f32_u                                           @sat-float-to-int   : f32 -> i64
0xFC:6   i64.trunc_sat_f64_s                                           @sat-float-to-int   : f64 -> i64
0xFC:7   i64.trunc_sat_f64_u                                           @sat-float-to-int   : f64 -> i64
0xFC:8   memory.init                          data memory              @bulk-memory
0xFC:9   data.drop                            data                     @bulk-memory
0xFC:10  memory.copy                          memory memory            @bulk-memory
0xFC:11  memory.fill                          memory                   @bulk-memory
0xFC:12  table.init                           elem table               @bulk-memory
0xFC:13  elem.drop                            elem                     @bulk-memory
0xFC:14  table.copy                           table table              @bulk-memory
0xFC:15  table.grow                           table                    @reference-types
0xFC:16  table.size                           table                    @reference-types
0xFC:17  table.fill                           table                    @reference-types
0xFD:0   v128.load                            memarg=4                 @simd               : addr -> v128
0xFD:1   v128.load8x8_s                       memarg=3                 @simd               : addr -> v128
0xFD:2   v128.load8x8_u                       memarg=3                 @simd               : addr -> v128
0xFD:3   v128.load16x4_s                      memarg=3                 @simd               : addr -> v128
0xFD:4   v128.load16x4_u                      memarg=3                 @simd               : addr -> v128
0xFD:5   v128.load32x2_s                      memarg=3                 @simd               : addr -> v128
0xFD:6   v128.load32x2_u                      memarg=3                 @simd               : addr -> v128
0xFD:7   v128.load8_splat                     memarg=0                 @simd               : addr -> v128
0xFD:8   v128.load16_splat                    memarg=1                 @simd               : addr -> v128
0xFD:9   v128.load32_splat                    memarg=2                 @simd               : addr -> v128
0xFD:10  v128.load64_splat                    memarg=3                 @simd               : addr -> v128
0xFD:11  v128.store                           memarg=4                 @simd               : addr v128 ->
0xFD:12  v128.const                           v128                     @simd               : -> v128
0xFD:13  i8x16.shuffle                        shuffle                  @simd               : v128 v128 -> v128
0xFD:14  i8x16.swizzle                                                 @simd               : v128 v128 -> v128
0xFD:15  i8x16.splat                                                   @simd               : i32 -> v128
0xFD:16  i16x8.splat                                                   @simd               : i32 -> v128
0xFD:17  i32x4.splat                                                   @simd               : i32 -> v128
0xFD:18  i64x2.splat                                                   @simd               : i64 -> v128
0xFD:19  f32x4.splat                                                   @simd               : f32 -> v128
0xFD:20  f64x2.splat                                                   @simd               : f64 -> v128
0xFD:21  i8x16.extract_lane_s                 lane16                   @simd               : v128 -> i32
0xFD:22  i8x16.extract_lane_u                 lane16                   @simd               : v128 -> i32
0xFD:23  i8x16.replace_lane                   lane16                   @simd               : v128 i32 -> v128
0xFD:24  i16x8.extract_lane_s                 lane8                    @simd               : v128 -> i32
0xFD:25  i16x8.extract_lane_u                 lane8                    @simd               : v128 -> i32
0xFD:26  i16x8.replace_lane                   lane8                    @simd               : v128 i32 -> v128
0xFD:27  i32x4.extract_lane                   lane4                    @simd               : v128 -> i32
0xFD:28  i32x4.replace_lane                   lane4                    @simd               : v128 i32 -> v128
0xFD:29  i64x2.extract_lane                   lane2                    @simd               : v128 -> i64
0xFD:30  i64x2.replace_lane                   lane2                    @simd               : v128 i64 -> v128
0xFD:31  f32x4.extract_lane                   lane4                    @simd               : v128 -> f32
0xFD:32  f32x4.replace_lane                   lane4                    @simd               : v128 f32 -> v128
0xFD:33  f64x2.extract_lane                   lane2                    @simd               : v128 -> f64
0xFD:34  f64x2.replace_lane                   lane2                    @simd               : v128 f64 -> v128
0xFD:35  i8x16.eq                                                      @simd               : v128 v128 -> v128
0xFD:36  i8x16.ne                                                      @simd               : v128 v128 -> v128
0xFD:37  i8x16.lt_s                                                    @simd               : v128 v128 -> v128
0xFD:38  i8x16.lt_u                                                    @simd               : v128 v128 -> v128
0xFD:39  i8x16.gt_s                                                    @simd               : v128 v128 -> v128
0xFD:40  i8x16.gt_u                                                    @simd               : v128 v128 -> v128
0xFD:41  i8x16.le_s                                                    @simd               : v128 v128 -> v128
0xFD:42  i8x16.le_u                                                    @simd               : v128 v128 -> v128
0xFD:43  i8x16.ge_s                                                    @simd               : v128 v128 -> v128
0xFD:44  i8x16.ge_u                                                    @simd               : v128 v128 -> v128
0xFD:45  i16x8.eq                                                      @simd               : v128 v128 -> v128
0xFD:46  i16x8.ne                                                      @simd               : v128 v128 -> v128
0xFD:47  i16x8.lt_s                                                    @simd               : v128 v128 -> v128
0xFD:48  i16x8.lt_u                                                    @simd               : v128 v128 -> v128
0xFD:49  i16x8.gt_s                                                    @simd               : v128 v128 -> v128
0xFD:50  i16x8.gt_u                                                    @simd               : v128 v128 -> v128
0xFD:51  i16x8.le_s                                                    @simd               : v128 v128 -> v128
0xFD:52  i16x8.le_u                                                    @simd               : v128 v128 -> v128
0xFD:53  i16x8.ge_s                                                    @simd               : v128 v128 -> v128
0xFD:54  i16x8.ge_u                                                    @simd               : v128 v128 -> v128
0xFD:55  i32x4.eq                                                      @simd               : v128 v128 -> v128
0xFD:56  i32x4.ne                                                      @simd               : v128 v128 -> v128
0xFD:57  i32x4.lt_s                                                    @simd               : v128 v128 -> v128
0xFD:58  i32x4.lt_u                                                    @simd               : v128 v128 -> v128
0xFD:59  i32x4.gt_s                                                    @simd               : v128 v128 -> v128
0xFD:60  i32x4.gt_u                                                    @simd               : v128 v128 -> v128
0xFD:61  i32x4.le_s                                                    @simd               : v128 v128 -> v128
0xFD:62  i32x4.le_u                                                    @simd               : v128 v128 -> v128
0xFD:63  i32x4.ge_s                                                    @simd               : v128 v128 -> v128
0xFD:64  i32x4.ge_u                                                    @simd               : v128 v128 -> v128
0xFD:65  f32x4.eq                                                      @simd               : v128 v128 -> v128
0xFD:66  f32x4.ne                                                      @simd               : v128 v128 -> v128
0xFD:67  f32x4.lt                                                      @simd               : v128 v128 -> v128
0xFD:68  f32x4.gt                                                      @simd               : v128 v128 -> v128
0xFD:69  f32x4.le                                                      @simd               : v128 v128 -> v128
0xFD:70  f32x4.ge                                                      @simd               : v128 v128 -> v128
0xFD:71  f64x2.eq                                                      @simd               : v128 v128 -> v128
0xFD:72  f64x2.ne                                                      @simd               : v128 v128 -> v128
0xFD:73  f64x2.lt                                                      @simd               : v128 v128 -> v128
0xFD:74  f64x2.gt                                                      @simd               : v128 v128 -> v128
0xFD:75  f64x2.le                                                      @simd               : v128 v128 -> v128
0xFD:76  f64x2.ge                                                      @simd               : v128 v128 -> v128
0xFD:77  v128.not                                                      @simd               : v128 -> v128
0xFD:78  v128.and                                                      @simd               : v128 v128 -> v128
0xFD:79  v128.andnot                                                   @simd               : v128 v128 -> v128
0xFD:80  v128.or                                                       @simd               : v128 v128 -> v128
0xFD:81  v128.xor                                                      @simd               : v128 v128 -> v128
0xFD:82  v128.bitselect                                                @simd               : v128 v128 v128 -> v128
0xFD:83  v128.any_true                                                 @simd               : v128 -> i32
0xFD:84  v128.load8_lane                      memarg=0 lane16          @simd               : addr v128 -> v128
0xFD:85  v128.load16_lane                     memarg=1 lane8           @simd               : addr v128 -> v128
0xFD:86  v128.load32_lane                     memarg=2 lane4           @simd               : addr v128 -> v128
0xFD:87  v128.load64_lane                     memarg=3 lane2           @simd               : addr v128 -> v128
0xFD:88  v128.store8_lane                     memarg=0 lane16          @simd               : addr v128 ->
0xFD:89  v128.store16_lane                    memarg=1 lane8           @simd               : addr v128 ->
0xFD:90  v128.store32_lane                    memarg=2 lane4           @simd               : addr v128 ->
0xFD:91  v128.store64_lane                    memarg=3 lane2           @simd               : addr v128 ->
0xFD:92  v128.load32_zero                     memarg=2                 @simd               : addr -> v128
0xFD:93  v128.load64_zero                     memarg=3                 @simd               : addr -> v128
0xFD:94  f32x4.demote_f64x2_zero                                       @simd               : v128 -> v128
0xFD:95  f64x2.promote_low_f32x4                                       @simd               : v128 -> v128
0xFD:96  i8x16.abs                                                     @simd               : v128 -> v128
0xFD:97  i8x16.neg                                                     @simd               : v128 -> v128
0xFD:98  i8x16.popcnt                                                  @simd               : v128 -> v128
0xFD:99  i8x16.all_true                                                @simd               : v128 -> i32
0xFD:100 i8x16.bitmask                                                 @simd               : v128 -> i32
0xFD:101 i8x16.narrow_i16x8_s                                          @simd               : v128 v128 -> v128
0xFD:102 i8x16.narrow_i16x8_u                                          @simd               : v128 v128 -> v128
0xFD:103 f32x4.ceil                                                    @simd               : v128 -> v128
0xFD:104 f32x4.floor                                                   @simd               : v128 -> v128
0xFD:105 f32x4.trunc                                                   @simd               : v128 -> v128
0xFD:106 f32x4.nearest                                                 @simd               : v128 -> v128
0xFD:107 i8x16.shl                                                     @simd               : v128 i32 -> v128
0xFD:108 i8x16.shr_s                                                   @simd               : v128 i32 -> v128
0xFD:109 i8x16.shr_u                                                   @simd               : v128 i32 -> v128
0xFD:110 i8x16.add                                                     @simd               : v128 v128 -> v128
0xFD:111 i8x16.add_sat_s                                               @simd               : v128 v128 -> v128
0xFD:112 i8x16.add_sat_u                                               @simd               : v128 v128 -> v128
0xFD:113 i8x16.sub                                                     @simd               : v128 v128 -> v128
0xFD:114 i8x16.sub_sat_s                                               @simd               : v128 v128 -> v128
0xFD:115 i8x16.sub_sat_u                                               @simd               : v128 v128 -> v128
0xFD:116 f64x2.ceil                                                    @simd               : v128 -> v128
0xFD:117 f64x2.floor                                                   @simd               : v128 -> v128
0xFD:118 i8x16.min_s                                                   @simd               : v128 v128 -> v128
0xFD:119 i8x16.min_u                                                   @simd               : v128 v128 -> v128
0xFD:120 i8x16.max_s                                                   @simd               : v128 v128 -> v128
0xFD:121 i8x16.max_u                                                   @simd               : v128 v128 -> v128
0xFD:122 f64x2.trunc                                                   @simd               : v128 -> v128
0xFD:123 i8x16.avgr_u                                                  @simd               : v128 v128 -> v128
0xFD:124 i16x8.extadd_pairwise_i8x16_s                                 @simd               : v128 -> v128
0xFD:125 i16x8.extadd_pairwise_i8x16_u                                 @simd               : v128 -> v128
0xFD:126 i32x4.extadd_pairwise_i16x8_s                                 @simd               : v128 -> v128
0xFD:127 i32x4.extadd_pairwise_i16x8_u                                 @simd               : v128 -> v128
0xFD:128 i16x8.abs                                                     @simd               : v128 -> v128
0xFD:129 i16x8.neg                                                     @simd               : v128 -> v128
0xFD:130 i16x8.q15mulr_sat_s                                           @simd               : v128 v128 -> v128
0xFD:131 i16x8.all_true                                                @simd               : v128 -> i32
0xFD:132 i16x8.bitmask                                                 @simd               : v128 -> i32
0xFD:133 i16x8.narrow_i32x4_s                                          @simd               : v128 v128 -> v128
0xFD:134 i16x8.narrow_i32x4_u                                          @simd               : v128 v128 -> v128
0xFD:135 i16x8.extend_low_i8x16_s                                      @simd               : v128 -> v128
0xFD:136 i16x8.extend_high_i8x16_s                                     @simd               : v128 -> v128
0xFD:137 i16x8.extend_low_i8x16_u                                      @simd               : v128 -> v128
0xFD:138 i16x8.extend_high_i8x16_u                                     @simd               : v128 -> v128
0xFD:139 i16x8.shl                                                     @simd               : v128 i32 -> v128
0xFD:140 i16x8.shr_s                                                   @simd               : v128 i32 -> v128
0xFD:141 i16x8.shr_u                                                   @simd               : v128 i32 -> v128
0xFD:142 i16x8.add                                                     @simd               : v128 v128 -> v128
0xFD:143 i16x8.add_sat_s                                               @simd               : v128 v128 -> v128
0xFD:144 i16x8.add_sat_u                                               @simd               : v128 v128 -> v128
0xFD:145 i16x8.sub                                                     @simd               : v128 v128 -> v128
0xFD:146 i16x8.sub_sat_s                                               @simd               : v128 v128 -> v128
0xFD:147 i16x8.sub_sat_u                                               @simd               : v128 v128 -> v128
0xFD:148 f64x2.nearest                                                 @simd               : v128 -> v128
0xFD:149 i16x8.mul                                                     @simd               : v128 v128 -> v128
0xFD:150 i16x8.min_s                                                   @simd               : v128 v128 -> v128
0xFD:151 i16x8.min_u                                                   @simd               : v128 v128 -> v128
0xFD:152 i16x8.max_s                                                   @simd               : v128 v128 -> v128
0xFD:153 i16x8.max_u                                                   @simd               : v128 v128 -> v128
0xFD:155 i16x8.avgr_u                                                  @simd               : v128 v128 -> v128
0xFD:156 i16x8.extmul_low_i8x16_s                                      @simd               : v128 v128 -> v128
0xFD:157 i16x8.extmul_high_i8x16_s                                     @simd               : v128 v128 -> v128
0xFD:158 i16x8.extmul_low_i8x16_u                                      @simd               : v128 v128 -> v128
0xFD:159 i16x8.extmul_high_i8x16_u                                     @simd               : v128 v128 -> v128
0xFD:160 i32x4.abs                                                     @simd               : v128 -> v128
0xFD:161 i32x4.neg                                                     @simd               : v128 -> v128
0xFD:163 i32x4.all_true                                                @simd               : v128 -> i32
0xFD:164 i32x4.bitmask                                                 @simd               : v128 -> i32
0xFD:167 i32x4.extend_low_i16x8_s                                      @simd               : v128 -> v128
0xFD:168 i32x4.extend_high_i16x8_s                                     @simd               : v128 -> v128
0xFD:169 i32x4.extend_low_i16x8_u                                      @simd               : v128 -> v128
0xFD:170 i32x4.extend_high_i16x8_u                                     @simd               : v128 -> v128
0xFD:171 i32x4.shl                                                     @simd               : v128 i32 -> v128
0xFD:172 i32x4.shr_s                                                   @simd               : v128 i32 -> v128
0xFD:173 i32x4.shr_u                                                   @simd               : v128 i32 -> v128
0xFD:174 i32x4.add                                                     @simd               : v128 v128 -> v128
0xFD:177 i32x4.sub                                                     @simd               : v128 v128 -> v128
0xFD:181 i32x4.mul                                                     @simd               : v128 v128 -> v128
0xFD:182 i32x4.min_s                                                   @simd               : v128 v128 -> v128
0xFD:183 i32x4.min_u                                                   @simd               : v128 v128 -> v128
0xFD:184 i32x4.max_s                                                   @simd               : v128 v128 -> v128
0xFD:185 i32x4.max_u                                                   @simd               : v128 v128 -> v128
0xFD:186 i32x4.dot_i16x8_s                                             @simd               : v128 v128 -> v128
0xFD:188 i32x4.extmul_low_i16x8_s                                      @simd               : v128 v128 -> v128
0xFD:189 i32x4.extmul_high_i16x8_s                                     @simd               : v128 v128 -> v128
0xFD:190 i32x4.extmul_low_i16x8_u                                      @simd               : v128 v128 -> v128
0xFD:191 i32x4.extmul_high_i16x8_u                                     @simd               : v128 v128 -> v128
0xFD:192 i64x2.abs                                                     @simd               : v128 -> v128
0xFD:193 i64x2.neg                                                     @simd               : v128 -> v128
0xFD:195 i64x2.all_true                                                @simd               : v128 -> i32
0xFD:196 i64x2.bitmask                                                 @simd               : v128 -> i32
0xFD:199 i64x2.extend_low_i32x4_s                                      @simd               : v128 -> v128
0xFD:200 i64x2.extend_high_i32x4_s                                     @simd               : v128 -> v128
0xFD:201 i64x2.extend_low_i32x4_u                                      @simd               : v128 -> v128
0xFD:202 i64x2.extend_high_i32x4_u                                     @simd               : v128 -> v128
0xFD:203 i64x2.shl                                                     @simd               : v128 i32 -> v128
0xFD:204 i64x2.shr_s                                                   @simd               : v128 i32 -> v128
0xFD:205 i64x2.shr_u                                                   @simd               : v128 i32 -> v128
0xFD:206 i64x2.add                                                     @simd               : v128 v128 -> v128
0xFD:209 i64x2.sub                                                     @simd               : v128 v128 -> v128
0xFD:213 i64x2.mul                                                     @simd               : v128 v128 -> v128
0xFD:214 i64x2.eq                                                      @simd               : v128 v128 -> v128
0xFD:215 i64x2.ne                                                      @simd               : v128 v128 -> v128
0xFD:216 i64x2.lt_s                                                    @simd               : v128 v128 -> v128
0xFD:217 i64x2.gt_s                                                    @simd               : v128 v128 -> v128
0xFD:218 i64x2.le_s                                                    @simd               : v128 v128 -> v128
0xFD:219 i64x2.ge_s                                                    @simd               : v128 v128 -> v128
0xFD:220 i64x2.extmul_low_i32x4_s                                      @simd               : v128 v128 -> v128
0xFD:221 i64x2.extmul_high_i32x4_s                                     @simd               : v128 v128 -> v128
0xFD:222 i64x2.extmul_low_i32x4_u                                      @simd               : v128 v128 -> v128
0xFD:223 i64x2.extmul_high_i32x4_u                                     @simd               : v128 v128 -> v128
0xFD:224 f32x4.abs                                                     @simd               : v128 -> v128
0xFD:225 f32x4.neg                                                     @simd               : v128 -> v128
0xFD:227 f32x4.sqrt                                                    @simd               : v128 -> v128
0xFD:228 f32x4.add                                                     @simd               : v128 v128 -> v128
0xFD:229 f32x4.sub                                                     @simd               : v128 v128 -> v128
0xFD:230 f32x4.mul                                                     @simd               : v128 v128 -> v128
0xFD:231 f32x4.div                                                     @simd               : v128 v128 -> v128
0xFD:232 f32x4.min                                                     @simd               : v128 v128 -> v128
0xFD:233 f32x4.max                                                     @simd               : v128 v128 -> v128
0xFD:234 f32x4.pmin                                                    @simd               : v128 v128 -> v128
0xFD:235 f32x4.pmax                                                    @simd               : v128 v128 -> v128
0xFD:236 f64x2.abs                                                     @simd               : v128 -> v128
0xFD:237 f64x2.neg                                                     @simd               : v128 -> v128
0xFD:239 f64x2.sqrt                                                    @simd               : v128 -> v128
0xFD:240 f64x2.add                                                     @simd               : v128 v128 -> v128
0xFD:241 f64x2.sub                                                     @simd               : v128 v128 -> v128
0xFD:242 f64x2.mul                                                     @simd               : v128 v128 -> v128
0xFD:243 f64x2.div                                                     @simd               : v128 v128 -> v128
0xFD:244 f64x2.min                                                     @simd               : v128 v128 -> v128
0xFD:245 f64x2.max                                                     @simd               : v128 v128 -> v128
0xFD:246 f64x2.pmin                                                    @simd               : v128 v128 -> v128
0xFD:247 f64x2.pmax                                                    @simd               : v128 v128 -> v128
0xFD:248 i32x4.trunc_sat_f32x4_s                                       @simd               : v128 -> v128
0xFD:249 i32x4.trunc_sat_f32x4_u                                       @simd               : v128 -> v128
0xFD:250 f32x4.convert_i32x4_s                                         @simd               : v128 -> v128
0xFD:251 f32x4.convert_i32x4_u                                         @simd               : v128 -> v128
0xFD:252 i32x4.trunc_sat_f64x2_s_zero                                  @simd               : v128 -> v128
0xFD:253 i32x4.trunc_sat_f64x2_u_zero                                  @simd               : v128 -> v128
0xFD:254 f64x2.convert_low_i32x4_s                                     @simd               : v128 -> v128
0xFD:255 f64x2.convert_low_i32x4_u                                     @simd               : v128 -> v128
0xFD:256 i8x16.relaxed_swizzle                                         @relaxed-simd       : v128 v128 -> v128
0xFD:257 i32x4.relaxed_trunc_f32x4_s                                   @relaxed-simd       : v128 -> v128
0xFD:258 i32x4.relaxed_trunc_f32x4_u                                   @relaxed-simd       : v128 -> v128
0xFD:259 i32x4.relaxed_trunc_f64x2_s_zero                              @relaxed-simd       : v128 -> v128
0xFD:260 i32x4.relaxed_trunc_f64x2_u_zero                              @relaxed-simd       : v128 -> v128
0xFD:261 f32x4.relaxed_madd                                            @relaxed-simd       : v128 v128 v128 -> v128
0xFD:262 f32x4.relaxed_nmadd                                           @relaxed-simd       : v128 v128 v128 -> v128
0xFD:263 f64x2.relaxed_madd                                            @relaxed-simd       : v128 v128 v128 -> v128
0xFD:264 f64x2.relaxed_nmadd                                           @relaxed-simd       : v128 v128 v128 -> v128
0xFD:265 i8x16.relaxed_laneselect                                      @relaxed-simd       : v128 v128 v128 -> v128
0xFD:266 i16x8.relaxed_laneselect                                      @relaxed-simd       : v128 v128 v128 -> v128
0xFD:267 i32x4.relaxed_laneselect                                      @relaxed-simd       : v128 v128 v128 -> v128
0xFD:268 i64x2.relaxed_laneselect                                      @relaxed-simd       : v128 v128 v128 -> v128
0xFD:269 f32x4.relaxed_min                                             @relaxed-simd       : v128 v128 -> v128
0xFD:270 f32x4.relaxed_max                                             @relaxed-simd       : v128 v128 -> v128
0xFD:271 f64x2.relaxed_min                                             @relaxed-simd       : v128 v128 -> v128
0xFD:272 f64x2.relaxed_max                                             @relaxed-simd       : v128 v128 -> v128
0xFD:273 i16x8.relaxed_q15mulr_s                                       @relaxed-simd       : v128 v128 -> v128
0xFD:274 i16x8.relaxed_dot_i8x16_i7x16_s                               @relaxed-simd       : v128 v128 -> v128
0xFD:275 i32x4.relaxed_dot_i8x16_i7x16_add_s                           @relaxed-simd       : v128 v128 v128 -> v128
0xFE:0   memory.atomic.notify                 memarg=2                 @threads            : addr i32 -> i32
0xFE:1   memory.atomic.wait32                 memarg=2                 @threads            : addr i32 i64 -> i32
0xFE:2   memory.atomic.wait64                 memarg=3                 @threads            : addr i64 i64 -> i32
0xFE:3   atomic.fence                         zero                     @threads            : ->
0xFE:16  i32.atomic.load                      memarg=2                 @threads            : addr -> i32
0xFE:17  i64.atomic.load                      memarg=3                 @threads            : addr -> i64
0xFE:18  i32.atomic.load8_u                   memarg=0                 @threads            : addr -> i32
0xFE:19  i32.atomic.load16_u                  memarg=1                 @threads            : addr -> i32
0xFE:20  i64.atomic.load8_u                   memarg=0                 @threads            : addr -> i64
0xFE:21  i64.atomic.load16_u                  memarg=1                 @threads            : addr -> i64
0xFE:22  i64.atomic.load32_u                  memarg=2                 @threads            : addr -> i64
0xFE:23  i32.atomic.store                     memarg=2                 @threads            : addr i32 ->
0xFE:24  i64.atomic.store                     memarg=3                 @threads            : addr i64 ->
0xFE:25  i32.atomic.store8                    memarg=0                 @threads            : addr i32 ->
0xFE:26  i32.atomic.store16                   memarg=1                 @threads            : addr i32 ->
0xFE:27  i64.atomic.store8                    memarg=0                 @threads            : addr i64 ->
0xFE:28  i64.atomic.store16                   memarg=1                 @threads            : addr i64 ->
0xFE:29  i64.atomic.store32                   memarg=2                 @threads            : addr i64 ->
0xFE:30  i32.atomic.rmw.add                   memarg=2                 @threads            : addr i32 -> i32
0xFE:31  i64.atomic.rmw.add                   memarg=3                 @threads            : addr i64 -> i64
0xFE:32  i32.atomic.rmw8.add_u                memarg=0                 @threads            : addr i32 -> i32
0xFE:33  i32.atomic.rmw16.add_u               memarg=1                 @threads            : addr i32 -> i32
0xFE:34  i64.atomic.rmw8.add_u                memarg=0                 @threads            : addr i64 -> i64
0xFE:35  i64.atomic.rmw16.add_u               memarg=1                 @threads            : addr i64 -> i64
0xFE:36  i64.atomic.rmw32.add_u               memarg=2                 @threads            : addr i64 -> i64
0xFE:37  i32.atomic.rmw.sub                   memarg=2                 @threads            : addr i32 -> i32
0xFE:38  i64.atomic.rmw.sub                   memarg=3                 @threads            : addr i64 -> i64
0xFE:39  i32.atomic.rmw8.sub_u                memarg=0                 @threads            : addr i32 -> i32
0xFE:40  i32.atomic.rmw16.sub_u               memarg=1                 @threads            : addr i32 -> i32
0xFE:41  i64.atomic.rmw8.sub_u                memarg=0                 @threads            : addr i64 -> i64
0xFE:42  i64.atomic.rmw16.sub_u               memarg=1                 @threads            : addr i64 -> i64
0xFE:43  i64.atomic.rmw32.sub_u               memarg=2                 @threads            : addr i64 -> i64
0xFE:44  i32.atomic.rmw.and                   memarg=2                 @threads            : addr i32 -> i32
0xFE:45  i64.atomic.rmw.and                   memarg=3                 @threads            : addr i64 -> i64
0xFE:46  i32.atomic.rmw8.and_u                memarg=0                 @threads            : addr i32 -> i32
0xFE:47  i32.atomic.rmw16.and_u               memarg=1                 @threads            : addr i32 -> i32
0xFE:48  i64.atomic.rmw8.and_u                memarg=0                 @threads            : addr i64 -> i64
0xFE:49  i64.atomic.rmw16.and_u               memarg=1                 @threads            : addr i64 -> i64
0xFE:50  i64.atomic.rmw32.and_u               memarg=2                 @threads            : addr i64 -> i64
0xFE:51  i32.atomic.rmw.or                    memarg=2                 @threads            : addr i32 -> i32
0xFE:52  i64.atomic.rmw.or                    memarg=3                 @threads            : addr i64 -> i64
0xFE:53  i32.atomic.rmw8.or_u                 memarg=0                 @threads            : addr i32 -> i32
0xFE:54  i32.atomic.rmw16.or_u                memarg=1                 @threads            : addr i32 -> i32
0xFE:55  i64.atomic.rmw8.or_u                 memarg=0                 @threads            : addr i64 -> i64
0xFE:56  i64.atomic.rmw16.or_u                memarg=1                 @threads            : addr i64 -> i64
0xFE:57  i64.atomic.rmw32.or_u                memarg=2                 @threads            : addr i64 -> i64
0xFE:58  i32.atomic.rmw.xor                   memarg=2                 @threads            : addr i32 -> i32
0xFE:59  i64.atomic.rmw.xor                   memarg=3                 @threads            : addr i64 -> i64
0xFE:60  i32.atomic.rmw8.xor_u                memarg=0                 @threads            : addr i32 -> i32
0xFE:61  i32.atomic.rmw16.xor_u               memarg=1                 @threads            : addr i32 -> i32
0xFE:62  i64.atomic.rmw8.xor_u                memarg=0                 @threads            : addr i64 -> i64
0xFE:63  i64.atomic.rmw16.xor_u               memarg=1                 @threads            : addr i64 -> i64
0xFE:64  i64.atomic.rmw32.xor_u               memarg=2                 @threads            : addr i64 -> i64
0xFE:65  i32.atomic.rmw.xchg                  memarg=2                 @threads            : addr i32 -> i32
0xFE:66  i64.atomic.rmw.xchg                  memarg=3                 @threads            : addr i64 -> i64
0xFE:67  i32.atomic.rmw8.xchg_u               memarg=0                 @threads            : addr i32 -> i32
0xFE:68  i32.atomic.rmw16.xchg_u              memarg=1                 @threads            : addr i32 -> i32
0xFE:69  i64.atomic.rmw8.xchg_u               memarg=0                 @threads            : addr i64 -> i64
0xFE:70  i64.atomic.rmw16.xchg_u              memarg=1                 @threads            : addr i64 -> i64
0xFE:71  i64.atomic.rmw32.xchg_u              memarg=2                 @threads            : addr i64 -> i64
0xFE:72  i32.atomic.rmw.cmpxchg               memarg=2                 @threads            : addr i32 i32 -> i32
0xFE:73  i64.atomic.rmw.cmpxchg               memarg=3                 @threads            : addr i64 i64 -> i64
0xFE:74  i32.atomic.rmw8.cmpxchg_u            memarg=0                 @threads            : addr i32 i32 -> i32
0xFE:75  i32.atomic.rmw16.cmpxchg_u           memarg=1                 @threads            : addr i32 i32 -> i32
0xFE:76  i64.atomic.rmw8.cmpxchg_u            memarg=0                 @threads            : addr i64 i64 -> i64
0xFE:77  i64.atomic.rmw16.cmpxchg_u           memarg=1                 @threads            : addr i64 i64 -> i64
0xFE:78  i64.atomic.rmw32.cmpxchg_u           memarg=2                 @threads            : addr i64 i64 -> i64
"""

PREFIXES = (0xFB, 0xFC, 0xFD, 0xFE)


class Op:
    """One row of the table.

    Compared and hashed by identity: each row is one object, and the hot paths key dicts
    by it (hashing every field made a third of validation time). A plain class with
    slots, not a dataclass: every command that reads code builds all the rows at start-up,
    and a frozen dataclass's generated `__init__` doubled what that costs. Rows are never
    changed after the table is built.
    """

    __slots__ = ("name", "prefix", "code", "imms", "feature", "params", "results", "align", "lanes")

    def __init__(self, name: str, prefix: int | None, code: int, imms: tuple[str, ...], feature: str,
                 params: tuple[str, ...] | None = None, results: tuple[str, ...] | None = None,
                 align: int | None = None, lanes: int | None = None):
        self.name = name
        self.prefix = prefix  # 0xFB..0xFE, or None for a one-byte opcode
        self.code = code
        self.imms = imms
        self.feature = feature
        self.params = params  # type names; None: typed by the validator
        self.results = results
        self.align = align  # natural alignment (log2) of a memory access
        self.lanes = lanes  # bound of a lane immediate

    @property
    def encoding(self) -> bytes:
        if self.prefix is None:
            return bytes((self.code,))
        return bytes((self.prefix,)) + write_unsigned(self.code)

    def __repr__(self) -> str:
        return f"Op({self.name})"


def _parse_row(line: str) -> Op:
    line, _, signature = line.partition(" : ")
    code_text, name, *rest = line.split()
    feature = rest.pop() if rest else ""
    if not feature.startswith("@"):
        raise ValueError(f"opcode table: {name} has no @feature last")
    imms, align, lanes = [], None, None
    for word in rest:
        if word not in KINDS:
            if word.startswith("memarg="):
                align, word = int(word[7:]), "memarg"
            elif word.startswith("lane") and word[4:].isdigit():
                lanes, word = int(word[4:]), "lane"
            else:
                raise ValueError(f"opcode table: unknown immediate kind {word!r} in {name}")
        imms.append(word)
    prefix_text, colon, sub = code_text.partition(":")
    prefix, code = (int(prefix_text, 16), int(sub)) if colon else (None, int(code_text, 16))
    params = results = None
    if signature:
        before, _, after = signature.partition("->")
        params, results = tuple(before.split()), tuple(after.split())
    return Op(name, prefix, code, tuple(imms), feature[1:], params, results, align, lanes)


ALL_OPS: tuple[Op, ...] = tuple(_parse_row(line) for line in TABLE.strip().splitlines())
BY_NAME: dict[str, Op] = {op.name: op for op in ALL_OPS}
# One-byte opcodes by byte; prefixed ones by prefix, then by their u32.
SINGLE: dict[int, Op] = {op.code: op for op in ALL_OPS if op.prefix is None}
PREFIXED: dict[int, dict[int, Op]] = {p: {op.code: op for op in ALL_OPS if op.prefix == p} for p in PREFIXES}

assert len(BY_NAME) == len(ALL_OPS), "opcode table: duplicate name"
assert len(SINGLE) + sum(map(len, PREFIXED.values())) == len(ALL_OPS), "opcode table: duplicate code"


def index_spaces(op: Op) -> tuple[str, ...]:
    """Every index space an instruction's immediates name (in immediate order)."""
    return tuple(space for kind in op.imms for space in spaces_of(kind))
