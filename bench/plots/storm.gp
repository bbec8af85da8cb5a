# vmmu bench --plot: storm (data inline)
$sameoff << EOD
0.01 89.1968
0.02 88.4736
0.03 91.584
0.04 91.7312
0.05 91.6352
0.06 91.2832
0.07 77.1584
0.08 90.3936
0.09 91.2576
0.1 90.5408
0.11 91.3152
0.12 90.3936
0.13 91.7184
0.14 88.096
0.15 88.2112
0.16 91.6672
0.17 90.0224
0.18 91.2704
0.19 91.5008
0.2 91.4688
0.21 90.9056
0.22 89.856
0.23 91.1232
0.24 90.6944
0.25 90.9568
0.26 90.9056
0.27 90.7712
0.28 91.3792
0.29 91.8976
0.3 91.0272
0.31 92.0768
0.32 90.3744
0.33 91.4368
0.34 91.1808
0.35 91.4624
0.36 91.8336
0.37 91.5072
0.38 90.9568
0.39 91.9424
0.4 91.744
0.41 92.128
0.42 90.9184
0.43 92.1216
0.44 91.5904
0.45 91.7696
0.46 92.0448
0.47 87.6544
0.48 91.0848
0.49 92.0192
0.5 91.8208
EOD
$sameon << EOD
0.01 8.9536
0.02 8.6336
0.03 5.7792
0.04 9.2672
0.05 8.8384
0.06 8.9408
0.07 8.7616
0.08 8.8192
0.09 9.0624
0.1 8.7296
0.11 8.864
0.12 8.8896
0.13 9.1072
0.14 9.1264
0.15 9.0432
0.16 8.0256
0.17 8.32
0.18 9.0944
0.19 8.7872
0.2 8.8384
0.21 8.8704
0.22 8.8512
0.23 8.8896
0.24 8.928
0.25 8.8192
0.26 8.8128
0.27 8.928
0.28 8.832
0.29 8.7104
0.3 9.0944
0.31 8.928
0.32 8.6848
0.33 8.9984
0.34 8.6656
0.35 8.9472
0.36 8.6848
0.37 8.9088
0.38 8.9792
0.39 8.992
0.4 8.8256
0.41 8.9728
0.42 8.8832
0.43 9.0624
0.44 8.8512
0.45 8.9472
0.46 8.8896
0.47 8.7296
0.48 8.8704
0.49 9.1328
0.5 8.7616
EOD
$otheroff << EOD
0.01 22.4704
0.02 21.9392
0.03 22.6176
0.04 22.3744
0.05 22.56
0.06 22.6624
0.07 22.3296
0.08 22.7136
0.09 22.7328
0.1 22.6112
0.11 22.7648
0.12 22.5792
0.13 22.8096
0.14 22.6432
0.15 22.592
0.16 22.8224
0.17 18.4832
0.18 22.6688
0.19 22.7648
0.2 22.1888
0.21 22.6176
0.22 22.2528
0.23 22.6112
0.24 22.656
0.25 22.5216
0.26 22.528
0.27 22.56
0.28 22.72
0.29 22.72
0.3 22.752
0.31 22.7008
0.32 22.4448
0.33 22.6176
0.34 22.7392
0.35 22.7136
0.36 22.5344
0.37 22.4768
0.38 22.8864
0.39 22.6752
0.4 22.5344
0.41 22.8352
0.42 22.5856
0.43 22.7392
0.44 22.7712
0.45 22.912
0.46 22.7584
0.47 21.5168
0.48 22.6816
0.49 22.6496
0.5 20.2816
EOD
$otheron << EOD
0.01 24.0576
0.02 23.3472
0.03 23.5904
0.04 24.0384
0.05 23.9104
0.06 23.8656
0.07 23.6864
0.08 23.5648
0.09 21.5808
0.1 21.4784
0.11 23.8208
0.12 23.7312
0.13 24.0768
0.14 23.84
0.15 24
0.16 23.4816
0.17 19.872
0.18 21.6512
0.19 23.7568
0.2 23.6352
0.21 23.6736
0.22 23.1872
0.23 23.5584
0.24 23.6544
0.25 23.7888
0.26 23.6928
0.27 23.7184
0.28 23.6864
0.29 23.8208
0.3 23.3664
0.31 23.9168
0.32 23.36
0.33 23.7888
0.34 23.6608
0.35 23.8272
0.36 23.84
0.37 23.712
0.38 23.9232
0.39 24.0448
0.4 23.9808
0.41 23.9168
0.42 23.7504
0.43 24.0448
0.44 23.8144
0.45 24.1088
0.46 24.128
0.47 23.84
0.48 24.0384
0.49 24.0768
0.5 23.9744
EOD
set terminal pngcairo size 1400,600 noenhanced font ',10'
set output 'bench/plots/storm.png'
set multiplot layout 1,2 title 'invalidation storm: vCPU progress per 10 ms slice (start/end pairs on random 64 KiB ranges)'
set grid
set key below
set yrange [0:*]
set xlabel 'seconds'
set title 'storm on the 16 MiB the vCPU writes'
set ylabel 'M accesses/s'
plot $sameoff using 1:2 with lines lw 2 title 'storm off', $sameon using 1:2 with lines lw 2 title 'storm on'
set title 'storm on another slot; the vCPU faults its own slot'
set ylabel 'M faults/s'
plot $otheroff using 1:2 with lines lw 2 title 'storm off', $otheron using 1:2 with lines lw 2 title 'storm on'
unset multiplot
reset
set terminal svg size 1400,600 noenhanced font ',10'
set output 'bench/plots/storm.svg'
set multiplot layout 1,2 title 'invalidation storm: vCPU progress per 10 ms slice (start/end pairs on random 64 KiB ranges)'
set grid
set key below
set yrange [0:*]
set xlabel 'seconds'
set title 'storm on the 16 MiB the vCPU writes'
set ylabel 'M accesses/s'
plot $sameoff using 1:2 with lines lw 2 title 'storm off', $sameon using 1:2 with lines lw 2 title 'storm on'
set title 'storm on another slot; the vCPU faults its own slot'
set ylabel 'M faults/s'
plot $otheroff using 1:2 with lines lw 2 title 'storm off', $otheron using 1:2 with lines lw 2 title 'storm on'
unset multiplot
unset output
