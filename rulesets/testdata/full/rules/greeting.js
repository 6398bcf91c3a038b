`Hello ${Nickname || Name}`
